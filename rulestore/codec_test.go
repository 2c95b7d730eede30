package rulestore

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/accretedb/accrete/rulelang"
)

var codecType = &rulelang.TypeInfo{Name: "E", Key: 0, Fields: []rulelang.Field{
	{Name: "id", Type: rulelang.TypeString},
	{Name: "n", Type: rulelang.TypeNumber},
	{Name: "ok", Type: rulelang.TypeBool},
}}

var noKeyType = &rulelang.TypeInfo{Name: "P", Key: -1, Fields: []rulelang.Field{
	{Name: "a", Type: rulelang.TypeNumber},
	{Name: "b", Type: rulelang.TypeString},
}}

func TestFactRecordRoundTrip(t *testing.T) {
	s, n, b := rulelang.StringValue, rulelang.NumberValue, rulelang.BoolValue
	f := func(typ *rulelang.TypeInfo, seq uint64, keyVals, vals []rulelang.Value, wantRec []byte) {
		t.Helper()
		key := appendFactKey(nil, typ, keyVals)
		rec := appendFactRecord(nil, seq, vals)
		if !bytes.Equal(rec, wantRec) {
			t.Errorf("record %x, want %x", rec, wantRec)
		}
		r, err := decodeFactRecord(typ, key, rec)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if r.seq != seq || r.live != (vals != nil) || r.key != string(key) || !slices.Equal(r.values, vals) {
			t.Errorf("decoded %+v", r)
		}
	}
	e1 := []rulelang.Value{s("e1"), n(1.5), b(true)}
	f(codecType, 1, e1, e1,
		[]byte{1, 1, 1, tagString, 2, 'e', '1', tagNumber, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, tagBool, 1})
	f(codecType, 300, e1, nil, []byte{1, 0, 0xac, 0x02})
	p := []rulelang.Value{n(math.Copysign(0, -1)), s("")}
	f(noKeyType, 7, p, p,
		[]byte{1, 1, 7, tagNumber, 0, 0, 0, 0, 0, 0, 0, 0x80, tagString, 0})

	// -0 and 0 are one key; the record keeps the sign.
	if k1, k2 := appendFactKey(nil, noKeyType, []rulelang.Value{n(0), s("")}),
		appendFactKey(nil, noKeyType, []rulelang.Value{n(math.Copysign(0, -1)), s("")}); !bytes.Equal(k1, k2) {
		t.Errorf("keys of 0 and -0 differ: %x %x", k1, k2)
	}
	vals, err := decodeFactKey(codecType, appendFactKey(nil, codecType, []rulelang.Value{s("k"), n(9), b(true)}))
	if err != nil || !slices.Equal(vals, []rulelang.Value{s("k"), n(0), b(false)}) {
		t.Errorf("decodeFactKey: %v %v", vals, err)
	}
}

func TestFactRecordCorrupt(t *testing.T) {
	key := appendFactKey(nil, codecType, []rulelang.Value{rulelang.StringValue("e1")})
	good := appendFactRecord(nil, 1, []rulelang.Value{rulelang.StringValue("e1"), rulelang.NumberValue(1), rulelang.BoolValue(false)})
	for _, rec := range [][]byte{
		nil,
		{2, 1, 1},
		{1, 2, 1},
		{1, 1, 0},
		{1, 0, 1, 9},
		good[:len(good)-1],
		append(slices.Clone(good), 0),
		appendFactRecord(nil, 1, []rulelang.Value{rulelang.StringValue("e2"), rulelang.NumberValue(1), rulelang.BoolValue(false)}),
		appendFactRecord(nil, 1, []rulelang.Value{rulelang.StringValue("e1"), rulelang.NumberValue(math.Inf(1)), rulelang.BoolValue(false)}),
		appendFactRecord(nil, 1, []rulelang.Value{rulelang.StringValue("e1"), rulelang.StringValue("x"), rulelang.BoolValue(false)}),
	} {
		if _, err := decodeFactRecord(codecType, key, rec); !errors.Is(err, ErrCorrupt) {
			t.Errorf("record %x: %v, want ErrCorrupt", rec, err)
		}
	}
	if _, _, err := decodeProgramRecord([]byte{1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("program record: %v", err)
	}
	up, src, err := decodeProgramRecord(appendProgramRecord(nil, -5, []byte("src")))
	if err != nil || up != -5 || string(src) != "src" {
		t.Errorf("program record round trip: %d %q %v", up, src, err)
	}
}

func TestDeclSource(t *testing.T) {
	got := string(declSource([]*rulelang.TypeInfo{codecType, noKeyType}))
	want := "type E : <#id: string, n: number, ok: bool>\ntype P : <a: number, b: string>\n"
	if got != want {
		t.Errorf("declSource:\n%s\nwant:\n%s", got, want)
	}
	p, err := rulelang.Compile("", []byte(got))
	if err != nil || !sameType(p.Types[0], codecType) || !sameType(p.Types[1], noKeyType) {
		t.Errorf("declarations do not read back: %v", err)
	}
}

// FuzzDecodeFactRecord checks that no record makes the decoder panic, and
// that what decodes encodes back to the same bytes.
func FuzzDecodeFactRecord(f *testing.F) {
	f.Add([]byte{tagString, 2, 'e', '1'}, appendFactRecord(nil, 1, []rulelang.Value{rulelang.StringValue("e1"), rulelang.NumberValue(2), rulelang.BoolValue(true)}))
	f.Add([]byte{tagString, 0}, []byte{1, 0, 5})
	f.Add([]byte{}, []byte{1, 1, 1, tagString, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, key, rec []byte) {
		r, err := decodeFactRecord(codecType, key, rec)
		if err != nil {
			return
		}
		var vals []rulelang.Value
		if r.live {
			vals = r.values
		}
		back := appendFactRecord(nil, r.seq, vals)
		r2, err := decodeFactRecord(codecType, key, back)
		if err != nil || r2.seq != r.seq || r2.live != r.live || !slices.Equal(r2.values, r.values) {
			t.Errorf("record %x decodes to %+v, which encodes to %x, which decodes to %+v (%v)", rec, r, back, r2, err)
		}
		if _, err := decodeFactKey(codecType, key); err != nil {
			t.Errorf("key %x of a decoded record does not decode: %v", key, err)
		}
	})
}
