package scripts

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"testing"
)

// A numeric conversion in a script gives what reflect's Convert gives, as
// yaegi without the hook did: between every pair of numeric kinds, for
// values that round, truncate, wrap or are out of range.
func TestConvertHookMatchesReflect(t *testing.T) {
	in, err := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	values := []any{int64(-7), int64(16777217), int64(1<<60 + 1), int64(math.MinInt64), uint64(math.MaxUint64), uint64(1<<53 + 1),
		-3.75, 300.5, 1e20, -1e300, float32(16777217), int8(-128), uint16(65535), int32(-2147483648)}
	types := []reflect.Type{reflect.TypeOf(int8(0)), reflect.TypeOf(int32(0)), reflect.TypeOf(int64(0)), reflect.TypeOf(0),
		reflect.TypeOf(uint8(0)), reflect.TypeOf(uint32(0)), reflect.TypeOf(uint64(0)), reflect.TypeOf(uintptr(0)),
		reflect.TypeOf(float32(0)), reflect.TypeOf(0.0)}
	for i, v := range values {
		src := reflect.TypeOf(v)
		if _, err := in.Eval(ctx, fmt.Sprintf("var v%d %s = %s(%v)", i, src, src, v)); err != nil {
			t.Fatal(err)
		}
		for _, to := range types {
			want := reflect.ValueOf(v).Convert(to).Interface()
			got, err := in.Eval(ctx, fmt.Sprintf("func() %s { x := %s(v%d); return x }()", to, to, i))
			if err != nil {
				t.Fatal(err)
			}
			if g := got.Interface(); g != want && !(g != g && want != want) {
				t.Errorf("%s(%s(%v)) = %v in the script, %v by reflect", to, src, v, g, want)
			}
		}
	}
}
