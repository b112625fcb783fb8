package rules_test

import (
	"context"
	"fmt"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

func ExampleLint() {
	src := []byte(`FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /tmp/build
RUN pip install flask
`)
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	findings, err := rules.Lint(context.Background(), f, rules.WithRules("WH201", "DL3042"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fd := range findings {
		fmt.Printf("%d:%d %s %s (%s)\n", fd.Line, fd.Column, fd.Severity, fd.Rule, fd.Hadolint)
	}
	// Output:
	// 2:5 warning WH201 (DL3009)
	// 3:5 warning WH501 (DL3042)
}
