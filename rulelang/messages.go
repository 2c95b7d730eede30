package rulelang

// Every diagnostic text of the scanner, the parser and the checker is
// declared here, so that wording stays consistent and is reviewed in one
// place. Messages start in lower case, name the offending item and, where
// it helps, say what would be right.

// Scanner messages.
const (
	msgIllegalChar          = "illegal character %q"
	msgInvalidUTF8          = "invalid UTF-8 encoding"
	msgSingleEquals         = "unexpected '=': use '==' to compare"
	msgFatArrow             = "unexpected '=>': the actions follow '==>'"
	msgBang                 = "unexpected '!': use NOT to negate, or '!=' to compare"
	msgUseKeyword           = "unexpected '%s': use %s"
	msgSingleQuote          = "unexpected \"'\": strings are written in double quotes"
	msgExponentDigits       = "exponent has no digits"
	msgBadNumberChar        = "invalid character %q in number"
	msgStringNotTerminated  = "string literal not terminated"
	msgCommentNotTerminated = "comment not terminated"
	msgUnknownEscape        = "unknown escape sequence %s in string (use \\\", \\\\, \\/, \\n, \\t, \\r or \\uXXXX)"
	msgBadUnicodeEscape     = "\\u escape needs four hex digits"
)

// Parser messages.
const (
	msgExpected          = "expected %s, found %s"
	msgWantStatement     = "statement (type, rule, retract or a fact)"
	msgPositionalArg     = "arguments must be named, as in field: value"
	msgEmptyBlock        = "empty pattern block: declare at least one variable, as in {v: Type}"
	msgChainedComparison = "comparisons cannot be chained; combine them with AND"
	msgNestedTooDeep     = "expression nested too deeply"
	msgNumberRange       = "number %s is out of range"
	msgFileTooLarge      = "file of %d bytes is too large (the limit is %d bytes)"
)

// Checker messages: declarations.
const (
	msgDuplicateType     = "duplicate type %s (first declared at %s)"
	msgDuplicateField    = "duplicate field %s in type %s"
	msgUnknownFieldType  = "unknown field type %s (want string, number or bool)"
	msgSeveralKeys       = "type %s has more than one key field marked with #"
	msgDuplicateRule     = "duplicate rule %s (first declared at %s)"
	msgUnknownType       = "unknown type %s"
	msgUnknownField      = "unknown field %s in type %s"
	msgDuplicateVariable = "duplicate variable %s in rule %s"
)

// Checker messages: facts and retractions.
const (
	msgFactDuplicateArg = "field %s given more than once"
	msgFactMissingField = "fact %s is missing field %s"
	msgFactNotLiteral   = "value of field %s must be a literal (a string, a number or true/false)"
	msgFieldTypeMistake = "field %s of %s is %s, but the value is %s"
	msgRetractNoKey     = "type %s has no key field, so its facts cannot be retracted by key (mark a field with # or name it id)"
	msgRetractNeedsKey  = "retract of %s needs its key field %s"
	msgRetractOnlyKey   = "retract of %s takes only its key field %s, not %s"
)

// Checker messages: rule structure.
const (
	msgMainNotPattern       = "the first entry of the first block must be the main variable, as in {v: Type}"
	msgAggOutsideFirstBlock = "aggregation variable %s must be declared in the first block"
	msgUnknownAggFunc       = "unknown aggregate function %s (want AVG, SUM, COUNT, MIN or MAX)"
	msgAggArgCount          = "aggregate %s takes exactly one argument"
	msgAggNotNumber         = "%s needs a number, but its argument is %s (only COUNT accepts any type)"
	msgAggNoSource          = "the argument of %s must use the fields of one source variable"
	msgAggSeveralSources    = "the argument of %s uses source variables %s and %s; it must use only one"
	msgAggOverMain          = "%s cannot range over the main variable %s; aggregate over a source variable"
	msgAggVarInAgg          = "aggregation variable %s cannot be used inside an aggregate"
	msgAggVarInJoin         = "aggregation variable %s cannot be used in a join condition; it belongs in thresholds and actions only"
	msgThresholdSource      = "threshold on %s cannot use source variable %s; thresholds may use aggregation variables and fields of the main variable %s only"
	msgJoinNotEquality      = "join conditions must be equalities combined with AND (this condition links %s and %s)"
	msgSourceNotConnected   = "source %s is not connected to the main variable %s by join conditions"
	msgJoinCycle            = "join conditions form a cycle: %s"
	msgActionSource         = "action cannot use source variable %s: an aggregation rule fires once per main fact %s"
)

// Checker messages: expressions.
const (
	msgUnknownVariable    = "unknown variable %s"
	msgUnknownAggVar      = "unknown aggregation variable %s"
	msgPatternVarNoField  = "%s is a pattern variable; use one of its fields, as in %s.%s"
	msgAggVarNoFields     = "aggregation variable %s has no fields"
	msgCallNotAllowed     = "%s(...) cannot be used in an expression; declare aggregates in the first block, as in avg: AVG(e.salary)"
	msgLiteralNotAllowed  = "%s cannot be used here"
	msgMismatchedCompare  = "cannot compare %s with %s"
	msgMismatchedArith    = "invalid operation %s: mismatched types %s and %s"
	msgArithNotNumber     = "invalid operation %s on %s (needs numbers)"
	msgOrderNotComparable = "invalid operation %s on %s (needs numbers or strings)"
	msgLogicNotBool       = "invalid operation %s on %s (needs bool)"
	msgNegNotNumber       = "invalid operation - on %s (needs a number)"
	msgConditionNotBool   = "condition must be bool, but it is %s"
)
