package rulelang

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
)

// Check resolves and type-checks a parsed file and classifies the
// conditions of its rules. It reports every problem it finds, not only the
// first: the error is an [ErrorList] sorted by position, and the Program is
// nil whenever the error is not.
//
// Types are visible in the whole file, whatever the order of declarations.
func Check(f *File) (*Program, error) { return check(nil, f) }

// Extend checks f as a continuation of p, for programs that arrive in parts
// (rules added to a running engine, facts posted later): the types and rules
// of p are visible in f, and declaring one of them again is an error. The
// returned Program lists the types and rules of p followed by those of f,
// with indices continuing p's, and the statements of f only. p is not
// modified. Diagnostics are as for [Check].
func (p *Program) Extend(f *File) (*Program, error) { return check(p, f) }

func check(prev *Program, f *File) (*Program, error) {
	ntypes, nrules := 0, 0
	if prev != nil {
		ntypes, nrules = len(prev.Types), len(prev.Rules)
	}
	for _, s := range f.Stmts {
		switch s.(type) {
		case *TypeDecl:
			ntypes++
		case *RuleDecl:
			nrules++
		}
	}
	c := &checker{
		file:  f,
		prog:  &Program{File: f, Types: make([]*TypeInfo, 0, ntypes), Rules: make([]*Rule, 0, nrules)},
		types: make(map[string]*TypeInfo, ntypes),
		rules: make(map[string]ruleSite, nrules),
	}
	c.diags.lines = &f.lines
	if prev != nil {
		for _, t := range prev.Types {
			c.types[t.Name] = t
		}
		for _, r := range prev.Rules {
			c.rules[r.Name] = ruleSite{r.file, r.At}
		}
		c.prog.Types = append(c.prog.Types, prev.Types...)
		c.prog.Rules = append(c.prog.Rules, prev.Rules...)
	}
	c.declareTypes()

	// With the types declared, every statement checks on its own but for
	// the uniqueness and numbering of rules: check the statements, in
	// parts on several cores when there are many, then number the rules
	// in file order.
	stmts := make([]Statement, len(f.Stmts))
	c.checkParts(f.Stmts, stmts)
	for i, s := range f.Stmts {
		d, ok := s.(*RuleDecl)
		if !ok {
			continue
		}
		if prev, dup := c.rules[d.Name.Name]; dup {
			c.errorf(d.Name.Pos(), msgDuplicateRule, d.Name.Name, c.declaredAt(prev.file, prev.at))
		} else {
			c.rules[d.Name.Name] = ruleSite{f, d.Name.Pos()}
		}
		if stmts[i] != nil {
			r := stmts[i].(*Rule)
			r.Index = len(c.prog.Rules)
			c.prog.Rules = append(c.prog.Rules, r)
		}
	}
	if len(c.diags.list) > 0 {
		c.diags.list.Sort()
		return nil, c.diags.list
	}
	// Keep the statements that checked, in file order.
	k := 0
	for _, s := range stmts {
		if s != nil {
			stmts[k] = s
			k++
		}
	}
	c.prog.Stmts = stmts[:k:k]
	return c.prog, nil
}

// ruleSite is where a rule is declared.
type ruleSite struct {
	file *File
	at   Pos
}

// checkPartsFor returns the number of parts to check n statements in:
// several per processor, as for parsing (see numParts), with 2048
// statements at least in each. Tests replace it to exercise the cutting on
// small inputs.
var checkPartsFor = func(n int) int {
	procs := runtime.GOMAXPROCS(0)
	if procs == 1 {
		return 1
	}
	return min(partsPerProc*procs, maxParts, n/2048)
}

// checkParts checks stmts into out (same length): out[i] is the checked
// form of stmts[i], or nil. Rules are not numbered. Large lists are cut
// into parts of about equal source size, checked concurrently by checkers
// of their own; their diagnostics join c's.
func (c *checker) checkParts(stmts []Stmt, out []Statement) {
	n := min(checkPartsFor(len(stmts)), len(stmts))
	if n <= 1 {
		c.checkStmts(stmts, out)
		return
	}
	// Cut by source size: rules take longer than facts, and longer
	// statements longer than short ones.
	first, last := int(stmts[0].Pos()), int(stmts[len(stmts)-1].Pos())
	cuts := make([]int, n+1)
	for j := 1; j < n; j++ {
		at := Pos(first + j*(last-first)/n)
		cuts[j] = max(cuts[j-1], sort.Search(len(stmts), func(i int) bool { return stmts[i].Pos() >= at }))
	}
	cuts[n] = len(stmts)
	workers := make([]*checker, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for j := 1; j < n; j++ {
		w := &checker{file: c.file, types: c.types}
		w.diags.lines = c.diags.lines
		workers[j] = w
		wg.Go(func() {
			defer func() { panics[j] = recover() }()
			w.checkStmts(stmts[cuts[j]:cuts[j+1]], out[cuts[j]:cuts[j+1]])
		})
	}
	c.checkStmts(stmts[:cuts[1]], out[:cuts[1]])
	wg.Wait()
	for _, r := range panics {
		if r != nil {
			panic(r)
		}
	}
	for _, w := range workers[1:] {
		c.diags.list = append(c.diags.list, w.diags.list...)
	}
}

// checkStmts checks stmts into out (see checkParts). It reads the types
// and writes only to c and to the objects it creates.
func (c *checker) checkStmts(stmts []Stmt, out []Statement) {
	f := c.file
	for i, s := range stmts {
		switch s := s.(type) {
		case *TypeDecl:
			if t := c.types[s.Name.Name]; t != nil && t.file == f && t.At == s.Name.Pos() {
				out[i] = t
			}
		case *FactStmt:
			if fact := c.fact(s); fact != nil {
				out[i] = fact
			}
		case *RetractStmt:
			if r := c.retract(s); r != nil {
				out[i] = r
			}
		case *RuleDecl:
			if r := c.rule(s); r != nil {
				out[i] = r
			}
		default:
			panic("BUG: unknown statement type")
		}
	}
}

// Compile parses and checks src. Syntax errors stop it before checking, since
// a statement that did not parse would make the checker report consequences
// of it.
func Compile(filename string, src []byte) (*Program, error) {
	f, err := ParseFile(filename, src)
	if err != nil {
		return nil, err
	}
	return Check(f)
}

type checker struct {
	file  *File
	diags diagnostics
	prog  *Program
	types map[string]*TypeInfo
	rules map[string]ruleSite

	lastType *TypeInfo // the type lookupType found last

	// Facts are the bulk of large programs: allocate them in chunks.
	facts  slab[Fact]
	values sliceSlab[Value]

	// Terms are the bulk of large rule sets.
	consts    slab[Const]
	fieldRefs slab[FieldRef]
	aggRefs   slab[AggRef]
	unaries   slab[Unary]
	binaries  slab[Binary]

	ruleSlab     slab[Rule]
	aggs         slab[Aggregate]
	varSlices    sliceSlab[*Var]
	aggSlices    sliceSlab[*Aggregate]
	actionSlices sliceSlab[*Action]
	callBuf      []*CallExpr
	vars         slab[Var]
	actions      slab[Action]
	termSlices   sliceSlab[Term]

	scope    map[string]scopeEntry // variables of the rule being checked, when it has many
	scratch  mentions              // reused by mentions()
	conjBuf  []Term                // reused by classify
	filed    []filedTerm           // reused by classify
	countBuf []int                 // reused by fileConjuncts

	// Join edges and the join tree walk, reused across rules.
	edgeBuf    []joinEdge
	keySlices  sliceSlab[JoinKey]
	joins      slab[Join]
	joinSlices sliceSlab[*Join]
	adjBuf     [][]int
	intBuf     []int
	boolBuf    []bool
}

// mentions collects the references of t into a buffer reused by the next
// call.
func (c *checker) mentions(t Term) *mentions {
	m := &c.scratch
	m.fields = m.fields[:0]
	m.aggs = m.aggs[:0]
	m.varList = m.varList[:0]
	m.invalid = false
	m.collect(t)
	return m
}

func (c *checker) errorf(p Pos, format string, args ...any) {
	c.diags.errorf(p, format, args...)
}

// declaredAt formats the position of an earlier declaration: line:col in
// the file being checked, else file:line:col.
func (c *checker) declaredAt(f *File, p Pos) string {
	pos := f.Position(p)
	if f == c.file {
		return fmt.Sprintf("%d:%d", pos.Line, pos.Column)
	}
	return pos.String()
}

// declareTypes declares every type of the file, in order.
func (c *checker) declareTypes() {
	for _, s := range c.file.Stmts {
		d, ok := s.(*TypeDecl)
		if !ok {
			continue
		}
		if prev := c.types[d.Name.Name]; prev != nil {
			c.errorf(d.Name.Pos(), msgDuplicateType, d.Name.Name, c.declaredAt(prev.file, prev.At))
			continue
		}
		t := &TypeInfo{Name: d.Name.Name, At: d.Name.Pos(), Index: len(c.prog.Types), Key: -1, file: c.file}
		if len(d.Fields) > manyNames {
			t.index = make(map[string]int, len(d.Fields))
		}
		hashKey := false
		for _, fd := range d.Fields {
			if t.FieldIndex(fd.Name.Name) >= 0 {
				c.errorf(fd.Name.Pos(), msgDuplicateField, fd.Name.Name, t.Name)
				continue
			}
			typ := typeByName(fd.Type.Name)
			if typ == TypeInvalid {
				c.errorf(fd.Type.Pos(), msgUnknownFieldType, fd.Type.Name)
			}
			if fd.Hash.IsValid() {
				if hashKey {
					c.errorf(fd.Hash, msgSeveralKeys, t.Name)
				} else {
					hashKey = true
					t.Key = len(t.Fields)
				}
			}
			if t.index != nil {
				t.index[fd.Name.Name] = len(t.Fields)
			}
			t.Fields = append(t.Fields, Field{Name: fd.Name.Name, Type: typ, At: fd.Name.Pos()})
		}
		if !hashKey {
			t.Key = t.FieldIndex("id")
		}
		c.types[t.Name] = t
		c.prog.Types = append(c.prog.Types, t)
	}
}

func (c *checker) lookupType(id *Ident) *TypeInfo {
	// Consecutive statements usually name the same type: try the last
	// one found before hashing the name.
	if t := c.lastType; t != nil && t.Name == id.Name {
		return t
	}
	t := c.types[id.Name]
	if t != nil {
		c.lastType = t
	}
	if t == nil {
		c.errorf(id.Pos(), msgUnknownType, id.Name)
	}
	return t
}

// literal returns the value of the argument named name of a fact or
// retract, which must be a literal of the type of field f of t.
func (c *checker) literal(t *TypeInfo, f int, name string, x Expr) (Value, bool) {
	lit, ok := x.(*BasicLit)
	if !ok {
		c.errorf(x.Pos(), msgFactNotLiteral, name)
		return Value{}, false
	}
	want := t.Fields[f].Type
	if want != TypeInvalid && lit.Value.Type != want {
		c.errorf(lit.Pos(), msgFieldTypeMistake, name, t.Name, want, lit.Value.Type)
		return Value{}, false
	}
	return lit.Value, true
}

func (c *checker) fact(s *FactStmt) *Fact {
	t := c.lookupType(&s.Type)
	if t == nil {
		return nil
	}
	fact := c.facts.new()
	// Nodes from slabs are zero: set their fields one by one, which takes
	// cheaper write barriers than copying a whole struct while the
	// garbage collector runs.
	fact.Type, fact.Values, fact.At = t, c.values.alloc(len(t.Fields)), s.Pos()
	ok := true
	// ordered reports that the arguments so far named the fields in
	// declaration order, as facts usually do: then the field of the next
	// argument in order cannot have been given yet.
	ordered := true
	for k := range s.args {
		a := &s.args[k]
		name := s.argName(a)
		i := k
		if k >= len(t.Fields) || t.Fields[k].Name != name {
			i = t.FieldIndex(name)
			ordered = false
		}
		if i < 0 {
			c.errorf(a.name, msgUnknownField, name, t.Name)
			ok = false
			continue
		}
		if !ordered && fact.Values[i].Type != TypeInvalid {
			c.errorf(a.name, msgFactDuplicateArg, name)
			ok = false
			continue
		}
		var v Value
		var vok bool
		if a.kind == argExpr {
			v, vok = c.literal(t, i, name, s.exprs[a.expr])
		} else {
			v, vok = s.argValue(a), true
			if want := t.Fields[i].Type; want != TypeInvalid && v.Type != want {
				c.errorf(a.value, msgFieldTypeMistake, name, t.Name, want, v.Type)
				vok = false
			}
		}
		if !vok {
			ok = false
			// Mark the field as given so that it is not reported missing.
			v = Value{Type: TypeBool}
		}
		fact.Values[i] = v
	}
	if ordered && len(s.args) == len(t.Fields) {
		// Every field was given, in order.
		if !ok {
			return nil
		}
		return fact
	}
	for i, v := range fact.Values {
		if v.Type == TypeInvalid {
			c.errorf(s.Rparen, msgFactMissingField, t.Name, t.Fields[i].Name)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return fact
}

func (c *checker) retract(s *RetractStmt) *Retract {
	t := c.lookupType(&s.Type)
	if t == nil {
		return nil
	}
	if t.Key < 0 {
		c.errorf(s.Type.Pos(), msgRetractNoKey, t.Name)
		return nil
	}
	key := t.Fields[t.Key].Name
	r := &Retract{Type: t, At: s.Pos()}
	found, ok := false, true
	for k := range s.Args {
		a := &s.Args[k]
		if a.Name.Name != key {
			c.errorf(a.Name.Pos(), msgRetractOnlyKey, t.Name, key, a.Name.Name)
			ok = false
			continue
		}
		if found {
			c.errorf(a.Name.Pos(), msgFactDuplicateArg, a.Name.Name)
			ok = false
			continue
		}
		found = true
		v, vok := c.literal(t, t.Key, a.Name.Name, a.Value)
		ok = ok && vok
		r.Key = v
	}
	if !found {
		c.errorf(s.Rparen, msgRetractNeedsKey, t.Name, key)
		return nil
	}
	if !ok {
		return nil
	}
	return r
}

// rule checks a rule declaration.
func (c *checker) rule(d *RuleDecl) *Rule {
	r := c.ruleSlab.new()
	r.Name, r.At, r.file = d.Name.Name, d.Name.Pos(), c.file
	nerr := len(c.diags.list)

	// Declare the variables.
	aggCalls := c.callBuf[:0]
	nbind, nvars := 0, 0
	for _, bl := range d.Blocks {
		nbind += len(bl.Bindings)
		for _, bd := range bl.Bindings {
			if bd.Type != nil {
				nvars++
			}
		}
	}
	r.Vars = c.varSlices.alloc(nvars)[:0]
	r.Aggregates = c.aggSlices.alloc(nbind - nvars)[:0]
	c.scope = nil
	if nbind > manyNames {
		c.scope = make(map[string]scopeEntry, nbind)
	}
	for bi, bl := range d.Blocks {
		for ei, bd := range bl.Bindings {
			name := bd.Name.Name
			if c.lookupVar(r, name) != nil || c.lookupAgg(r, name) != nil {
				c.errorf(bd.Name.Pos(), msgDuplicateVariable, name, r.Name)
				continue
			}
			if bd.Type != nil {
				v := c.vars.new()
				v.Name, v.At, v.Index, v.Block = name, bd.Name.Pos(), len(r.Vars), bi
				v.Type = c.lookupType(bd.Type)
				r.Vars = append(r.Vars, v)
				if c.scope != nil {
					c.scope[name] = scopeEntry{v: v}
				}
				continue
			}
			switch {
			case bi == 0 && ei == 0:
				c.errorf(bd.Name.Pos(), msgMainNotPattern)
			case bi != 0:
				c.errorf(bd.Name.Pos(), msgAggOutsideFirstBlock, name)
			}
			a := c.aggs.new()
			a.Name, a.At, a.Index = name, bd.Name.Pos(), len(r.Aggregates)
			r.Aggregates = append(r.Aggregates, a)
			if c.scope != nil {
				c.scope[name] = scopeEntry{a: a}
			}
			aggCalls = append(aggCalls, bd.Agg)
		}
	}
	c.callBuf = aggCalls[:0]
	if len(r.Aggregates) > 0 {
		r.Kind = AggregationRule
	}

	for i, a := range r.Aggregates {
		c.aggregate(r, a, aggCalls[i])
	}
	if d.Cond != nil {
		r.Cond = c.term(r, d.Cond)
		if t := r.Cond.Type(); t != TypeBool && t != TypeInvalid {
			c.errorf(r.Cond.Pos(), msgConditionNotBool, t)
		}
	}
	r.Actions = c.actionSlices.alloc(len(d.Actions))
	for i, call := range d.Actions {
		r.Actions[i] = c.action(r, call)
	}
	if len(r.Vars) == 0 {
		return nil
	}
	c.classify(r)
	if len(c.diags.list) > nerr {
		return nil
	}
	return r
}

// scopeEntry is a variable of the rule being checked.
type scopeEntry struct {
	v *Var
	a *Aggregate
}

// lookupVar returns the pattern variable of r with the given name, or nil.
func (c *checker) lookupVar(r *Rule, name string) *Var {
	if c.scope != nil {
		return c.scope[name].v
	}
	for _, v := range r.Vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// lookupAgg returns the aggregation variable of r with the given name, or
// nil.
func (c *checker) lookupAgg(r *Rule, name string) *Aggregate {
	if c.scope != nil {
		return c.scope[name].a
	}
	for _, a := range r.Aggregates {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// aggregate checks the call FUNC(expr) of an aggregation variable.
func (c *checker) aggregate(r *Rule, a *Aggregate, call *CallExpr) {
	fn, ok := aggFuncByName(call.Fun.Name)
	if !ok {
		c.errorf(call.Fun.Pos(), msgUnknownAggFunc, call.Fun.Name)
	}
	a.Func = fn
	if len(call.Args) != 1 {
		if ok {
			c.errorf(call.Fun.Pos(), msgAggArgCount, fn)
		}
		return
	}
	a.Arg = c.term(r, call.Args[0])
	if !ok {
		return
	}
	m := c.mentions(a.Arg)
	for _, ref := range m.aggs {
		c.errorf(ref.At, msgAggVarInAgg, ref.Name)
	}
	a.Source = -1
	var other *FieldRef
	for _, ref := range m.fields {
		switch {
		case ref.Var == 0:
			c.errorf(ref.At, msgAggOverMain, fn, ref.VarName)
			return
		case a.Source < 0:
			a.Source = ref.Var
		case ref.Var != a.Source && other == nil:
			other = ref
		}
	}
	if other != nil {
		c.errorf(other.At, msgAggSeveralSources, fn, r.Vars[a.Source].Name, other.VarName)
		return
	}
	if a.Source < 0 {
		if len(m.aggs) == 0 && !m.invalid {
			c.errorf(call.Fun.Pos(), msgAggNoSource, fn)
		}
		return
	}
	if t := a.Arg.Type(); fn != AggCount && t != TypeNumber && t != TypeInvalid {
		c.errorf(call.Fun.Pos(), msgAggNotNumber, fn, t)
	}
}

// action checks one action call.
func (c *checker) action(r *Rule, call *CallExpr) *Action {
	a := c.actions.new()
	a.Name, a.At, a.Print = call.Fun.Name, call.Fun.Pos(), call.Fun.Name == "print"
	a.Args = c.termSlices.alloc(len(call.Args))
	var reported []bool // per variable
	for i, e := range call.Args {
		t := c.term(r, e)
		a.Args[i] = t
		if r.Kind != AggregationRule {
			continue
		}
		m := c.mentions(t)
		for _, ref := range m.fields {
			if ref.Var == 0 {
				continue
			}
			if reported == nil {
				reported = make([]bool, len(r.Vars))
			}
			if !reported[ref.Var] {
				reported[ref.Var] = true
				c.errorf(ref.At, msgActionSource, ref.VarName, r.Vars[0].Name)
			}
		}
	}
	return a
}

// mentions collects the field and aggregation references of a term.
type mentions struct {
	fields  []*FieldRef
	aggs    []*AggRef
	invalid bool // the term contains an invalid part
	varList []int
	seen    []bool // scratch for vars, all false between calls
}

func (m *mentions) collect(t Term) {
	switch t := t.(type) {
	case *Const:
		if t.Value.Type == TypeInvalid {
			m.invalid = true
		}
	case *FieldRef:
		m.fields = append(m.fields, t)
	case *AggRef:
		m.aggs = append(m.aggs, t)
	case *Unary:
		m.collect(t.X)
	case *Binary:
		m.collect(t.X)
		m.collect(t.Y)
	default:
		panic("BUG: unknown term type")
	}
}

// vars returns the distinct variable indices mentioned, in order of first
// mention; n is the number of variables of the rule.
func (m *mentions) vars(n int) []int {
	m.varList = m.varList[:0]
	if cap(m.seen) < n {
		m.seen = make([]bool, n)
	}
	seen := m.seen[:n]
	for _, f := range m.fields {
		if !seen[f.Var] {
			seen[f.Var] = true
			m.varList = append(m.varList, f.Var)
		}
	}
	for _, v := range m.varList {
		seen[v] = false
	}
	return m.varList
}

// invalidTerm stands for an expression that could not be checked; its type
// is TypeInvalid, which silences errors about the expressions around it.
func invalidTerm(p Pos) Term { return &Const{At: p} }

// term resolves and type-checks an expression of rule r.
func (c *checker) term(r *Rule, e Expr) Term {
	switch e := e.(type) {
	case *BasicLit:
		k := c.consts.new()
		k.At, k.Value = e.Pos(), e.Value
		return k
	case *Ident:
		if a := c.lookupAgg(r, e.Name); a != nil {
			ref := c.aggRefs.new()
			ref.At, ref.Agg, ref.Name = e.Pos(), a.Index, a.Name
			return ref
		}
		if v := c.lookupVar(r, e.Name); v != nil {
			field := "id"
			if v.Type != nil && len(v.Type.Fields) > 0 {
				field = v.Type.Fields[max(v.Type.Key, 0)].Name
			}
			c.errorf(e.Pos(), msgPatternVarNoField, e.Name, e.Name, field)
		} else {
			c.errorf(e.Pos(), msgUnknownAggVar, e.Name)
		}
		return invalidTerm(e.Pos())
	case *SelectorExpr:
		v := c.lookupVar(r, e.X.Name)
		if v == nil {
			if c.lookupAgg(r, e.X.Name) != nil {
				c.errorf(e.X.Pos(), msgAggVarNoFields, e.X.Name)
			} else {
				c.errorf(e.X.Pos(), msgUnknownVariable, e.X.Name)
			}
			return invalidTerm(e.Pos())
		}
		if v.Type == nil {
			return invalidTerm(e.Pos()) // unknown type, already reported
		}
		f := v.Type.FieldIndex(e.Sel.Name)
		if f < 0 {
			c.errorf(e.Sel.Pos(), msgUnknownField, e.Sel.Name, v.Type.Name)
			return invalidTerm(e.Pos())
		}
		ref := c.fieldRefs.new()
		ref.At, ref.Var, ref.Field, ref.typ = e.Pos(), v.Index, f, v.Type.Fields[f].Type
		ref.VarName, ref.FieldName = v.Name, e.Sel.Name
		return ref
	case *ParenExpr:
		return c.term(r, e.X)
	case *CallExpr:
		c.errorf(e.Fun.Pos(), msgCallNotAllowed, e.Fun.Name)
		return invalidTerm(e.Pos())
	case *UnaryExpr:
		x := c.term(r, e.X)
		t := x.Type()
		if t == TypeInvalid {
			return invalidTerm(e.OpPos)
		}
		if e.Op == OpNot {
			if t != TypeBool {
				c.errorf(e.OpPos, msgLogicNotBool, "NOT", t)
				return invalidTerm(e.OpPos)
			}
			u := c.unaries.new()
			u.At, u.Op, u.X = e.OpPos, OpNot, x
			return u
		}
		if t != TypeNumber {
			c.errorf(e.OpPos, msgNegNotNumber, t)
			return invalidTerm(e.OpPos)
		}
		u := c.unaries.new()
		u.At, u.Op, u.X = e.OpPos, OpNeg, x
		return u
	case *BinaryExpr:
		return c.binary(e, c.term(r, e.X), c.term(r, e.Y))
	}
	panic("BUG: unknown expression type")
}

func (c *checker) binary(e *BinaryExpr, x, y Term) Term {
	tx, ty := x.Type(), y.Type()
	valid := tx != TypeInvalid && ty != TypeInvalid
	b := c.binaries.new()
	b.At, b.X, b.Y = e.OpPos, x, y
	// A type error makes the result invalid, which silences errors about
	// the expressions around it.
	fail := func(format string, args ...any) Term {
		c.errorf(e.OpPos, format, args...)
		return invalidTerm(e.OpPos)
	}
	b.Op = e.Op
	switch e.Op {
	case OpAdd:
		if tx == TypeString || ty == TypeString {
			b.Op = OpConcat
		}
		switch {
		case !valid:
			return invalidTerm(e.OpPos)
		case tx != ty:
			return fail(msgMismatchedArith, "+", tx, ty)
		case tx == TypeBool:
			return fail(msgArithNotNumber, "+", tx)
		}
	case OpSub, OpMul, OpDiv:
		switch {
		case !valid:
			return invalidTerm(e.OpPos)
		case tx != ty:
			return fail(msgMismatchedArith, e.Op, tx, ty)
		case tx != TypeNumber:
			return fail(msgArithNotNumber, e.Op, tx)
		}
	case OpEq, OpNe:
		if valid && tx != ty {
			return fail(msgMismatchedCompare, tx, ty)
		}
	case OpLt, OpLe, OpGt, OpGe:
		switch {
		case !valid:
		case tx != ty:
			return fail(msgMismatchedCompare, tx, ty)
		case tx == TypeBool:
			return fail(msgOrderNotComparable, e.Op, tx)
		}
	case OpAnd, OpOr:
		switch {
		case tx != TypeBool && tx != TypeInvalid:
			return fail(msgLogicNotBool, e.Op, tx)
		case ty != TypeBool && ty != TypeInvalid:
			return fail(msgLogicNotBool, e.Op, ty)
		}
	default:
		panic("BUG: unknown binary operator " + e.Op.String())
	}
	return b
}
