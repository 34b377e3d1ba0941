// Package symbols holds the generated yaegi symbol tables of the packages
// scripts can import (see scripts/gen), and Docs, their doc comments.
package symbols

import "reflect"

// Symbols maps "import/path/name" to the package's exported symbols, in the
// shape interp.Use takes.
var Symbols = map[string]map[string]reflect.Value{}

// Docs maps "pkg.Name" and "pkg.Type.Method" to the declaration and its doc
// comment, for the REPL's :doc.
var Docs = map[string]string{}
