package scripts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func sameCells(t *testing.T, what string, got, want []*Cell) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d cells, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Markdown != w.Markdown || g.Title != w.Title || g.Source != w.Source {
			t.Errorf("%s: cell %d = {md %v %q %q}, want {md %v %q %q}", what, i+1, g.Markdown, g.Title, g.Source, w.Markdown, w.Title, w.Source)
		}
	}
}

// .go → .ipynb → .go keeps every cell, its kind, title and text.
func TestNotebookIPynbRoundTrip(t *testing.T) {
	nb := parseTestNotebook(t)
	var ipy bytes.Buffer
	if err := nb.WriteIPynb(&ipy); err != nil {
		t.Fatal(err)
	}
	back, err := ParseIPynb("study.ipynb", ipy.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	sameCells(t, ".go → .ipynb", back.Cells, nb.Cells)
	var goSrc bytes.Buffer
	if err := back.WriteGo(&goSrc); err != nil {
		t.Fatal(err)
	}
	again := ParseNotebook("study.go", goSrc.Bytes())
	sameCells(t, ".ipynb → .go", again.Cells, nb.Cells)
	// And the .go written is stable.
	var goSrc2 bytes.Buffer
	if err := again.WriteGo(&goSrc2); err != nil {
		t.Fatal(err)
	}
	if goSrc.String() != goSrc2.String() {
		t.Errorf(".go not stable:\n%s\n---\n%s", goSrc.String(), goSrc2.String())
	}
}

// An executed notebook carries each cell's output as Jupyter shows it.
func TestNotebookIPynbOutputs(t *testing.T) {
	nb := parseTestNotebook(t)
	dir := t.TempDir()
	nb.Run(context.Background(), NotebookOptions{ImageDir: dir, KeepGoing: true})
	var ipy bytes.Buffer
	if err := nb.WriteIPynb(&ipy); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		NBFormat int `json:"nbformat"`
		Cells    []struct {
			CellType string `json:"cell_type"`
			Count    *int   `json:"execution_count"`
			Outputs  []struct {
				Type   string            `json:"output_type"`
				Text   []string          `json:"text"`
				Data   map[string]string `json:"data"`
				EValue string            `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(ipy.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.NBFormat != 4 || len(doc.Cells) != 7 || doc.Cells[1].CellType != "markdown" {
		t.Fatalf("notebook %s", ipy.String())
	}
	build := doc.Cells[2].Outputs
	if len(build) != 1 || build[0].Type != "stream" || strings.Join(build[0].Text, "") != "rows 30\n" {
		t.Errorf("stream output %+v", build)
	}
	table := doc.Cells[3].Outputs
	if len(table) != 1 || table[0].Type != "execute_result" || table[0].Data["text/plain"] != nb.Cells[3].Value ||
		!strings.Contains(table[0].Data["text/html"], "<table") {
		t.Errorf("table output %+v", table)
	}
	chart := doc.Cells[4].Outputs
	want, err := os.ReadFile(nb.Cells[4].Images[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(chart) != 1 || chart[0].Type != "display_data" || chart[0].Data["image/png"] != base64.StdEncoding.EncodeToString(want) {
		t.Errorf("chart output %d outputs", len(chart))
	}
	fails := doc.Cells[5].Outputs
	if len(fails) != 1 || fails[0].Type != "error" || !strings.Contains(fails[0].EValue, "assignment to entry in nil map") {
		t.Errorf("error output %+v", fails)
	}
	if c := doc.Cells[6]; c.Count == nil || *c.Count != 6 {
		t.Errorf("execution count of the last cell %v", c.Count)
	}
}

func TestParseIPynbErrors(t *testing.T) {
	for src, want := range map[string]string{
		`{"nbformat": 3, "cells": []}`:                                      "nbformat 3",
		`{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}`:    "want a string or a list",
		`{"nbformat": 4, "cells": [{"cell_type": "widget", "source": ""}]}`: `cell 1: cell_type "widget"`,
		`not json`: "nb.ipynb",
	} {
		_, err := ParseIPynb("nb.ipynb", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}
