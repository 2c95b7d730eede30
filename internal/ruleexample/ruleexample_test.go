package ruleexample

import (
	"slices"
	"testing"

	"github.com/accretedb/accrete/rulelang"
)

func TestProgram(t *testing.T) {
	p, err := rulelang.Compile("example1.rules", []byte(Program))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ti := range p.Types {
		types = append(types, ti.Name)
	}
	if want := []string{"Department", "Employee", "Performance"}; !slices.Equal(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	if len(p.Rules) != 1 || p.Rules[0].Name != "dept_combined_metric" {
		t.Errorf("%d rules, want dept_combined_metric only", len(p.Rules))
	}
	facts := 0
	for _, s := range p.Stmts {
		switch s.(type) {
		case *rulelang.Fact:
			facts++
		case *rulelang.Retract:
			t.Errorf("a retraction at %v: the program only asserts", s.Pos())
		}
	}
	if facts != 11 {
		t.Errorf("%d facts, want 11", facts)
	}
}
