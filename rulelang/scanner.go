package rulelang

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// scanner turns source bytes into tokens. It records line starts in the
// file's line table and reports lexical errors to diags; it never stops at an
// error.
type scanner struct {
	src      []byte
	lt       *lineTable
	diags    *diagnostics
	comments bool // return COMMENT tokens instead of skipping them

	off int // reading offset

	// The current token.
	tok token
	pos Pos
	end int // offset just after the token
	// lit is the raw text of a COMMENT and the decoded value of a STRING;
	// other tokens leave it unset (their text is src[pos-1:end]), which
	// spares a pointer write for every token.
	lit []byte
	// escaped reports whether the STRING token had escapes, so that lit
	// differs from the source text between the quotes.
	escaped bool
	buf     []byte // decoding buffer for strings with escapes
}

func (s *scanner) init(lt *lineTable, src []byte, diags *diagnostics, comments bool) {
	s.initAt(lt, src, 0, len(src), diags, comments)
}

// initAt prepares the scanner to read src from offset start, which is 0 or
// the start of a line; stop, at most len(src), only sizes the line table.
// The line table starts with the line at start.
func (s *scanner) initAt(lt *lineTable, src []byte, start, stop int, diags *diagnostics, comments bool) {
	s.src = src
	s.lt = lt
	s.diags = diags
	s.comments = comments
	s.off = start
	s.tok = tokIllegal
	if n := bytes.Count(src[start:stop], newline) + 1; cap(lt.lines) < n {
		lt.lines = make([]int, 0, n)
	}
	lt.lines = append(lt.lines[:0], start)
	lt.size = len(src)
	// Skip a byte order mark.
	if start == 0 && len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		s.off = 3
	}
}

var newline = []byte{'\n'}

func (s *scanner) errorf(off int, format string, args ...any) {
	s.diags.errorf(Pos(off+1), format, args...)
}

func (s *scanner) newline(off int) {
	// Lines are appended in order; a rescan never happens.
	s.lt.lines = append(s.lt.lines, off+1)
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// next scans the next token into s.tok, s.pos, s.end and, for strings and
// comments, s.lit.
func (s *scanner) next() {
again:
	// Skip white space, all of which is at most ' '.
	src, off := s.src, s.off
	for off < len(src) {
		c := src[off]
		if c > ' ' {
			break
		}
		if c == '\n' {
			s.newline(off)
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
		off++
	}
	s.off = off
	start := off
	s.pos = Pos(start + 1)
	if start >= len(s.src) {
		s.tok = tokEOF
		s.end = start
		return
	}
	c := s.src[start]
	s.off++
	switch {
	case isLetter(c):
		s.scanIdentRest()
		s.tok = keyword(s.src[start:s.off])
	case isDigit(c):
		s.scanNumber(start)
	case c >= utf8.RuneSelf:
		r, size := utf8.DecodeRune(s.src[start:])
		if unicode.IsLetter(r) {
			s.off = start + size
			s.scanIdentRest()
			s.tok = tokIdent
		} else {
			s.off = start + size
			if r == utf8.RuneError && size == 1 {
				s.errorf(start, msgInvalidUTF8)
			} else {
				s.errorf(start, msgIllegalChar, r)
			}
			s.tok = tokIllegal
		}
	default:
		s.tok = tokIllegal
		switch c {
		case '"':
			s.scanString(start)
		case '(':
			s.tok = tokLparen
		case ')':
			s.tok = tokRparen
		case '{':
			s.tok = tokLbrace
		case '}':
			s.tok = tokRbrace
		case ',':
			s.tok = tokComma
		case ':':
			s.tok = tokColon
		case '.':
			s.tok = tokPeriod
		case '#':
			s.tok = tokHash
		case '+':
			s.tok = tokAdd
		case '-':
			s.tok = tokSub
		case '*':
			s.tok = tokMul
		case '/':
			if s.off < len(s.src) && (s.src[s.off] == '/' || s.src[s.off] == '*') {
				if !s.scanComment(start) {
					break
				}
				if !s.comments {
					goto again
				}
				s.tok = tokComment
				s.lit = s.src[start:s.off]
			} else {
				s.tok = tokQuo
			}
		case '=':
			if s.peek('=') {
				s.off++
				s.tok = tokEql
				if s.peek('>') {
					s.off++
					s.tok = tokArrow
				}
			} else if s.peek('>') {
				// Report a common slip, and go on as if it were right.
				s.off++
				s.errorf(start, msgFatArrow)
				s.tok = tokArrow
			} else {
				s.errorf(start, msgSingleEquals)
				s.tok = tokEql
			}
		case '!':
			if s.peek('=') {
				s.off++
				s.tok = tokNeq
			} else {
				s.errorf(start, msgBang)
				s.tok = tokNot
			}
		case '<':
			s.tok = tokLss
			if s.peek('=') {
				s.off++
				s.tok = tokLeq
			}
		case '>':
			s.tok = tokGtr
			if s.peek('=') {
				s.off++
				s.tok = tokGeq
			}
		case '&':
			if s.peek('&') {
				s.off++
				s.errorf(start, msgUseKeyword, "&&", "AND")
				s.tok = tokAnd
			} else {
				s.errorf(start, msgIllegalChar, rune(c))
			}
		case '|':
			if s.peek('|') {
				s.off++
				s.errorf(start, msgUseKeyword, "||", "OR")
				s.tok = tokOr
			} else {
				s.errorf(start, msgIllegalChar, rune(c))
			}
		case '\'':
			s.errorf(start, msgSingleQuote)
		default:
			s.errorf(start, msgIllegalChar, rune(c))
		}
	}
	s.end = s.off
}

func (s *scanner) peek(c byte) bool { return s.off < len(s.src) && s.src[s.off] == c }

func (s *scanner) unicodeLetterAt(off int) bool {
	r, _ := utf8.DecodeRune(s.src[off:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// scanIdentRest consumes the letters, digits and underscores after the first
// character of an identifier.
func (s *scanner) scanIdentRest() {
	src, off := s.src, s.off
	for off < len(src) {
		c := src[off]
		if isIdentByte[c] {
			off++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(src[off:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				off += size
				continue
			}
		}
		break
	}
	s.off = off
}

// isIdentByte reports the ASCII bytes that continue an identifier: letters,
// digits and underscores.
var isIdentByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isLetter(byte(c)) || isDigit(byte(c))
	}
	return t
}()

// scanNumber scans digits [ "." digits ] [ ("e"|"E") ["+"|"-"] digits ].
func (s *scanner) scanNumber(start int) {
	s.tok = tokNumber
	s.skipDigits()
	if s.off+1 < len(s.src) && s.src[s.off] == '.' && isDigit(s.src[s.off+1]) {
		s.off++
		s.skipDigits()
	}
	if s.off < len(s.src) && (s.src[s.off] == 'e' || s.src[s.off] == 'E') {
		s.off++
		if s.off < len(s.src) && (s.src[s.off] == '+' || s.src[s.off] == '-') {
			s.off++
		}
		if s.off >= len(s.src) || !isDigit(s.src[s.off]) {
			s.errorf(start, msgExponentDigits)
			s.tok = tokIllegal
		}
		s.skipDigits()
	}
	if s.off < len(s.src) && (isLetter(s.src[s.off]) || s.src[s.off] == '.' && s.off+1 < len(s.src) && isDigit(s.src[s.off+1])) {
		if s.tok == tokNumber {
			s.errorf(start, msgBadNumberChar, rune(s.src[s.off]))
			s.tok = tokIllegal
		}
		for s.off < len(s.src) && (isLetter(s.src[s.off]) || isDigit(s.src[s.off]) || s.src[s.off] == '.') {
			s.off++
		}
	}
}

func (s *scanner) skipDigits() {
	for s.off < len(s.src) && isDigit(s.src[s.off]) {
		s.off++
	}
}

// scanString scans a double-quoted string whose opening quote is at start.
// The decoded value goes to s.lit.
func (s *scanner) scanString(start int) {
	s.tok = tokString
	valStart := s.off
	escaped := false
	for {
		if s.off >= len(s.src) || s.src[s.off] == '\n' {
			s.errorf(start, msgStringNotTerminated)
			s.tok = tokIllegal
			return
		}
		c := s.src[s.off]
		if c == '"' {
			break
		}
		if c == '\\' {
			escaped = true
			s.off++
			if s.off < len(s.src) && s.src[s.off] != '\n' {
				s.off++
			}
			continue
		}
		s.off++
	}
	raw := s.src[valStart:s.off]
	s.off++ // closing quote
	s.escaped = escaped
	if !escaped {
		s.lit = raw
		return
	}
	s.buf = s.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			s.buf = append(s.buf, c)
			continue
		}
		i++
		if i >= len(raw) {
			break
		}
		switch raw[i] {
		case '"', '\\', '/':
			s.buf = append(s.buf, raw[i])
		case 'n':
			s.buf = append(s.buf, '\n')
		case 't':
			s.buf = append(s.buf, '\t')
		case 'r':
			s.buf = append(s.buf, '\r')
		case 'u':
			r, n := decodeHex4(raw[i+1:])
			if n < 4 {
				s.errorf(start, msgBadUnicodeEscape)
				s.tok = tokIllegal
				i += n
				continue
			}
			s.buf = utf8.AppendRune(s.buf, r)
			i += 4
		default:
			s.errorf(start, msgUnknownEscape, string(raw[i-1:i+1]))
			s.tok = tokIllegal
		}
	}
	s.lit = s.buf
}

// decodeHex4 decodes up to four hex digits. It returns the value and the
// number of hex digits found.
func decodeHex4(b []byte) (rune, int) {
	var r rune
	for i := 0; i < 4; i++ {
		if i >= len(b) {
			return r, i
		}
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			r = r*16 + rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r*16 + rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r*16 + rune(c-'A'+10)
		default:
			return r, i
		}
	}
	return r, 4
}

// scanComment scans a // or /* */ comment starting at start. It reports
// false, after an error, for an unterminated block comment.
func (s *scanner) scanComment(start int) bool {
	if s.src[s.off] == '/' {
		for s.off < len(s.src) && s.src[s.off] != '\n' {
			s.off++
		}
		return true
	}
	s.off++ // '*'
	for s.off < len(s.src) {
		c := s.src[s.off]
		if c == '\n' {
			s.newline(s.off)
		} else if c == '*' && s.off+1 < len(s.src) && s.src[s.off+1] == '/' {
			s.off += 2
			return true
		}
		s.off++
	}
	s.errorf(start, msgCommentNotTerminated)
	s.tok = tokEOF
	return false
}
