package rtmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// AMF0 markers.
const (
	markerNumber      = 0x00
	markerBoolean     = 0x01
	markerString      = 0x02
	markerObject      = 0x03
	markerNull        = 0x05
	markerUndefined   = 0x06
	markerECMAArray   = 0x08
	markerObjectEnd   = 0x09
	markerStrictArray = 0x0a
	markerDate        = 0x0b
	markerLongString  = 0x0c
)

// amfMaxDepth bounds nesting so that a hostile message cannot exhaust the stack.
const amfMaxDepth = 32

// AMF0 values decode to: float64, bool, string, amfObject, nil (null),
// amfUndefined, amfECMAArray, []any (strict array) and amfDate.
type (
	amfProp struct {
		Key   string
		Value any
	}
	// amfObject keeps the order of its properties, as the wire does.
	amfObject    []amfProp
	amfECMAArray []amfProp
	amfUndefined struct{}
	amfDate      struct {
		Millis float64
		TZ     int16
	}
)

// get returns the value of the first property named key, or nil.
func (o amfObject) get(key string) any {
	for _, p := range o {
		if p.Key == key {
			return p.Value
		}
	}
	return nil
}

// str returns the string property key, or "" if it is absent or not a string.
func (o amfObject) str(key string) string {
	s, _ := o.get(key).(string)
	return s
}

var errAMFShort = errors.New("amf0: value runs past the end of the data")

// amfDecodeAll decodes the sequence of values that makes up a command or data message.
func amfDecodeAll(b []byte) ([]any, error) {
	d := amfDecoder{b: b}
	var vals []any
	for len(d.b) > 0 {
		v, err := d.value(0)
		if err != nil {
			return vals, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

type amfDecoder struct{ b []byte }

func (d *amfDecoder) take(n int) ([]byte, error) {
	if n > len(d.b) {
		return nil, errAMFShort
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v, nil
}

func (d *amfDecoder) u16() (int, error) {
	b, err := d.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b)), nil
}

func (d *amfDecoder) u32() (uint32, error) {
	b, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

func (d *amfDecoder) str(n int) (string, error) {
	b, err := d.take(n)
	return string(b), err
}

func (d *amfDecoder) float() (float64, error) {
	b, err := d.take(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
}

func (d *amfDecoder) value(depth int) (any, error) {
	if depth > amfMaxDepth {
		return nil, errors.New("amf0: values nested too deeply")
	}
	m, err := d.take(1)
	if err != nil {
		return nil, err
	}
	switch m[0] {
	case markerNumber:
		return d.float()
	case markerBoolean:
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		return b[0] != 0, nil
	case markerString:
		n, err := d.u16()
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case markerLongString:
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		if uint64(n) > uint64(len(d.b)) {
			return nil, errAMFShort
		}
		return d.str(int(n))
	case markerNull:
		return nil, nil
	case markerUndefined:
		return amfUndefined{}, nil
	case markerObject:
		props, err := d.props(depth)
		return amfObject(props), err
	case markerECMAArray:
		// The count is only a hint that encoders often get wrong: the end marker decides.
		if _, err := d.u32(); err != nil {
			return nil, err
		}
		props, err := d.props(depth)
		return amfECMAArray(props), err
	case markerStrictArray:
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		if uint64(n) > uint64(len(d.b)) { // every element takes at least one byte
			return nil, errAMFShort
		}
		arr := make([]any, 0, min(n, 64))
		for range n {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	case markerDate:
		ms, err := d.float()
		if err != nil {
			return nil, err
		}
		tz, err := d.u16()
		if err != nil {
			return nil, err
		}
		return amfDate{Millis: ms, TZ: int16(tz)}, nil
	case markerObjectEnd:
		return nil, errors.New("amf0: object end outside an object")
	default:
		return nil, fmt.Errorf("amf0: unsupported type marker %#x", m[0])
	}
}

// props reads key/value pairs up to the empty key followed by the object end marker.
func (d *amfDecoder) props(depth int) ([]amfProp, error) {
	var props []amfProp
	for {
		n, err := d.u16()
		if err != nil {
			return nil, err
		}
		if n == 0 && len(d.b) > 0 && d.b[0] == markerObjectEnd {
			d.b = d.b[1:]
			return props, nil
		}
		key, err := d.str(n)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		props = append(props, amfProp{key, v})
	}
}

// amfEncode appends the AMF0 encoding of each value to b. Integers are encoded as
// numbers, for convenience when building replies.
func amfEncode(b []byte, vals ...any) ([]byte, error) {
	for _, v := range vals {
		var err error
		if b, err = amfAppend(b, v, 0); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func amfAppend(b []byte, v any, depth int) ([]byte, error) {
	if depth > amfMaxDepth {
		return nil, errors.New("amf0: values nested too deeply")
	}
	switch v := v.(type) {
	case float64:
		return binary.BigEndian.AppendUint64(append(b, markerNumber), math.Float64bits(v)), nil
	case int:
		return amfAppend(b, float64(v), depth)
	case uint32:
		return amfAppend(b, float64(v), depth)
	case bool:
		if v {
			return append(b, markerBoolean, 1), nil
		}
		return append(b, markerBoolean, 0), nil
	case string:
		if len(v) > math.MaxUint16 {
			if uint64(len(v)) > math.MaxUint32 {
				return nil, errors.New("amf0: string too long")
			}
			b = binary.BigEndian.AppendUint32(append(b, markerLongString), uint32(len(v)))
			return append(b, v...), nil
		}
		b = binary.BigEndian.AppendUint16(append(b, markerString), uint16(len(v)))
		return append(b, v...), nil
	case nil:
		return append(b, markerNull), nil
	case amfUndefined:
		return append(b, markerUndefined), nil
	case amfObject:
		return amfAppendProps(append(b, markerObject), v, depth)
	case amfECMAArray:
		b = binary.BigEndian.AppendUint32(append(b, markerECMAArray), uint32(len(v)))
		return amfAppendProps(b, v, depth)
	case []any:
		b = binary.BigEndian.AppendUint32(append(b, markerStrictArray), uint32(len(v)))
		for _, e := range v {
			var err error
			if b, err = amfAppend(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case amfDate:
		b = binary.BigEndian.AppendUint64(append(b, markerDate), math.Float64bits(v.Millis))
		return binary.BigEndian.AppendUint16(b, uint16(v.TZ)), nil
	default:
		return nil, fmt.Errorf("amf0: cannot encode %T", v)
	}
}

func amfAppendProps(b []byte, props []amfProp, depth int) ([]byte, error) {
	for _, p := range props {
		if len(p.Key) > math.MaxUint16 {
			return nil, errors.New("amf0: property name too long")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.Key)))
		b = append(b, p.Key...)
		var err error
		if b, err = amfAppend(b, p.Value, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, 0, 0, markerObjectEnd), nil
}
