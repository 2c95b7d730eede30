package model

import (
	"errors"
	"strconv"
	"strings"
)

var errBadSeriesKey = errors.New("malformed series key")

const (
	measurementEscapes = ", "
	tagEscapes         = ",= "
	fieldKeyEscapes    = ",= "
)

func appendEscaped(dst []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			dst = append(dst, `\n`...)
			continue
		case c == '\\' || strings.IndexByte(special, c) >= 0:
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}

// appendLineEscaped appends s escaped as line protocol escapes a
// measurement, tag key, tag value or field key: a backslash before each
// byte of special. Line-protocol decoders unescape a backslash only before
// those bytes, so other backslashes are written as they are (doubling them,
// as series keys do, would double them in the decoded name). A newline,
// which these elements cannot carry, is written as `\n` so that it cannot
// end the line.
func appendLineEscaped(dst []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			dst = append(dst, `\n`...)
			continue
		case strings.IndexByte(special, c) >= 0:
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}

// splitUnescaped splits a series key at its unescaped commas. The first part
// is the unescaped measurement; the others are raw "key=value" strings still
// escaped, split further by cutTag.
func splitUnescaped(key []byte) ([]string, error) {
	var parts []string
	start := 0
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '\\':
			i++
		case ',':
			parts = append(parts, string(key[start:i]))
			start = i + 1
		}
	}
	parts = append(parts, string(key[start:]))
	m, err := unescape(parts[0])
	if err != nil {
		return nil, err
	}
	parts[0] = m
	return parts, nil
}

func cutTag(kv string) (k, v string, ok bool) {
	for i := 0; i < len(kv); i++ {
		switch kv[i] {
		case '\\':
			i++
		case '=':
			k, err1 := unescape(kv[:i])
			v, err2 := unescape(kv[i+1:])
			return k, v, err1 == nil && err2 == nil
		}
	}
	return "", "", false
}

func unescape(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", errBadSeriesKey
		}
		if s[i] == 'n' {
			b = append(b, '\n')
		} else {
			b = append(b, s[i])
		}
	}
	return string(b), nil
}

func appendFieldValue(dst []byte, v FieldValue) []byte {
	switch v.typ {
	case TypeFloat:
		return strconv.AppendFloat(dst, v.FloatV(), 'g', -1, 64)
	case TypeInteger:
		return append(strconv.AppendInt(dst, v.IntV(), 10), 'i')
	case TypeUnsigned:
		return append(strconv.AppendUint(dst, v.UintV(), 10), 'u')
	case TypeString:
		dst = append(dst, '"')
		for i := 0; i < len(v.str); i++ {
			c := v.str[i]
			if c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
		}
		return append(dst, '"')
	case TypeBoolean:
		return strconv.AppendBool(dst, v.BoolV())
	}
	return append(dst, "<invalid>"...)
}
