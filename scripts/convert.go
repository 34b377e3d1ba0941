package scripts

import (
	"reflect"

	"github.com/traefik/yaegi/interp"
)

// convertHook is yaegi's hook for conversions (its "convert" symbol under
// its own path): yaegi converts with reflect.Value.Convert, which
// allocates its result, so float64(n) in a strategy's per-bar arithmetic
// cost about a hundred nanoseconds. Between numeric kinds the hook sets
// the result in place, with the arithmetic reflect's conversions use
// (an integer to a float through float64, a float to an integer through
// int64 or uint64, truncating to the destination's size), so every result
// is the one reflect gave.
var convertHook = interp.Exports{"github.com/traefik/yaegi/yaegi": {
	"convert": reflect.ValueOf(func(from, to reflect.Type) func(src, dest reflect.Value) {
		switch f, t := numKind(from), numKind(to); {
		case f == 0 || t == 0:
			return nil
		case t == 'f' && f == 'i':
			return func(src, dest reflect.Value) { dest.SetFloat(float64(src.Int())) }
		case t == 'f' && f == 'u':
			return func(src, dest reflect.Value) { dest.SetFloat(float64(src.Uint())) }
		case t == 'f':
			return func(src, dest reflect.Value) { dest.SetFloat(src.Float()) }
		case t == 'i' && f == 'f':
			return func(src, dest reflect.Value) { dest.SetInt(int64(src.Float())) }
		case t == 'u' && f == 'f':
			return func(src, dest reflect.Value) { dest.SetUint(uint64(src.Float())) }
		case t == 'i' && f == 'i':
			return func(src, dest reflect.Value) { dest.SetInt(src.Int()) }
		case t == 'i':
			return func(src, dest reflect.Value) { dest.SetInt(int64(src.Uint())) }
		case f == 'i':
			return func(src, dest reflect.Value) { dest.SetUint(uint64(src.Int())) }
		default:
			return func(src, dest reflect.Value) { dest.SetUint(src.Uint()) }
		}
	}),
}}

// numKind is 'i', 'u' or 'f' for an integer, unsigned or float type, 0 for
// another.
func numKind(t reflect.Type) byte {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return 'i'
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return 'u'
	case reflect.Float32, reflect.Float64:
		return 'f'
	}
	return 0
}
