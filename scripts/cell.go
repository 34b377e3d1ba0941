package scripts

import (
	"context"
	"go/token"
	"reflect"
	"strings"
)

// Cell evaluates src as the REPL evaluates its input — imports of
// packages already imported are dropped, the names it defines become
// completions — with errors naming file (e.g. "cell[3]") and the line in
// src. It returns the value to show: the trailing expression's, or an
// invalid Value when there is none.
func (r *REPL) Cell(ctx context.Context, file, src string) (reflect.Value, error) {
	if firstToken(src) == token.IMPORT {
		src = r.dropImported(src)
		if strings.TrimSpace(src) == "" {
			return reflect.Value{}, nil
		}
	}
	v, err := r.In.EvalAt(ctx, file, 1, src)
	if err != nil {
		return reflect.Value{}, err
	}
	r.learnNames(src)
	if !lastIsExpr(src) {
		return reflect.Value{}, nil
	}
	return v, nil
}

// Doc is the :doc text of name.
func (r *REPL) Doc(name string) string { return r.doc(name) }
