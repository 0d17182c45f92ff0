package rtmp

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestAMF0RoundTrip(t *testing.T) {
	long := strings.Repeat("L", 70000)
	for _, tc := range []struct {
		name string
		v    any
		wire []byte // the expected encoding, when short enough to spell out
	}{
		{"number", 1.5, []byte{0, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{"negative zero", math.Copysign(0, -1), []byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"NaN", math.NaN(), nil},
		{"true", true, []byte{1, 1}},
		{"false", false, []byte{1, 0}},
		{"string", "live", []byte{2, 0, 4, 'l', 'i', 'v', 'e'}},
		{"empty string", "", []byte{2, 0, 0}},
		{"long string", long, nil},
		{"null", nil, []byte{5}},
		{"undefined", amfUndefined{}, []byte{6}},
		{"object", amfObject{{"app", "live"}, {"n", 2.0}}, []byte{3, 0, 3, 'a', 'p', 'p', 2, 0, 4, 'l', 'i', 'v', 'e', 0, 1, 'n', 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}},
		{"empty object", amfObject{}, []byte{3, 0, 0, 9}},
		{"ecma array", amfECMAArray{{"width", 320.0}}, []byte{8, 0, 0, 0, 1, 0, 5, 'w', 'i', 'd', 't', 'h', 0, 0x40, 0x74, 0, 0, 0, 0, 0, 0, 0, 0, 9}},
		{"strict array", []any{1.0, "a", nil}, []byte{0x0a, 0, 0, 0, 3, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 'a', 5}},
		{"empty strict array", []any{}, []byte{0x0a, 0, 0, 0, 0}},
		{"date", amfDate{Millis: 1e12, TZ: -60}, nil},
		{"nested", amfObject{{"a", amfECMAArray{{"b", []any{amfObject{{"c", true}}, amfUndefined{}}}}}, {"", "empty key"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := amfEncode(nil, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wire != nil && !bytes.Equal(b, tc.wire) {
				t.Errorf("encoded % x, want % x", b, tc.wire)
			}
			vals, err := amfDecodeAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(vals) != 1 || !amfEqual(vals[0], tc.v) {
				t.Errorf("decoded %#v, want %#v", vals, tc.v)
			}
		})
	}
	if b, _ := amfEncode(nil, long); b[0] != markerLongString {
		t.Errorf("a %d-byte string encodes with marker %#x", len(long), b[0])
	}
}

func TestAMF0DecodesFFmpegConnect(t *testing.T) {
	// What ffmpeg sends, abridged: name, transaction, command object.
	in := []byte("\x02\x00\x07connect\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x03" +
		"\x00\x03app\x02\x00\x04live\x00\x04type\x02\x00\x0anonprivate\x00\x00\x09")
	vals, err := amfDecodeAll(in)
	if err != nil || len(vals) != 3 || vals[0] != "connect" || vals[1] != 1.0 {
		t.Fatalf("%v, %v", vals, err)
	}
	if obj := vals[2].(amfObject); obj.str("app") != "live" || obj.str("type") != "nonprivate" || obj.get("missing") != nil {
		t.Errorf("object = %v", obj)
	}
}

func TestAMF0DecodeErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{0x0a, 0, 0, 0, 1}, amfMaxDepth+2)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"short number", []byte{0, 1, 2}, "past the end"},
		{"short string", []byte{2, 0, 5, 'a'}, "past the end"},
		{"long string longer than the data", []byte{0x0c, 0xff, 0xff, 0xff, 0xff, 'a'}, "past the end"},
		{"strict array longer than the data", []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 5}, "past the end"},
		{"object without end", []byte{3, 0, 1, 'a', 5}, "past the end"},
		{"object end alone", []byte{9}, "object end outside an object"},
		{"unsupported marker", []byte{0x11}, "unsupported type marker 0x11"},
		{"reference", []byte{0x07, 0, 1}, "unsupported type marker 0x7"},
		{"too deep", deep, "nested too deeply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := amfDecodeAll(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A strict array claiming 4 billion elements over 6 bytes must not allocate them.
	in := []byte{0x0a, 0, 0, 0, 5, 5, 5, 5, 5, 5}
	if allocs := testing.AllocsPerRun(20, func() { amfDecodeAll(in) }); allocs > 5 {
		t.Errorf("%v allocations", allocs)
	}
	if _, err := amfEncode(nil, struct{}{}); err == nil {
		t.Error("encoding an unsupported type succeeded")
	}
}

// amfEqual compares decoded values, treating NaNs with the same bits as equal.
func amfEqual(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case amfObject:
		b, ok := b.(amfObject)
		return ok && propsEqual(a, b)
	case amfECMAArray:
		b, ok := b.(amfECMAArray)
		return ok && propsEqual(a, b)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !amfEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case amfDate:
		b, ok := b.(amfDate)
		return ok && math.Float64bits(a.Millis) == math.Float64bits(b.Millis) && a.TZ == b.TZ
	default:
		return a == b
	}
}

func propsEqual(a, b []amfProp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !amfEqual(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}
