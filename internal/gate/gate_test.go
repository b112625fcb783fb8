package gate

import (
	"errors"
	"testing"

	"github.com/whittle/whittle/pkg/account"
)

// diveTestImage holds the figures that dive's own tests assert for its
// test-docker-image.tar (testdata/compat/dive/README.md): the oracle for
// dive's evaluator expectations below.
var diveTestImage = &account.Report{Dive: account.Dive{
	Efficiency:        0.9844212134184309,
	WastedBytes:       32025,
	UserWastedPercent: 0.4834911001404049,
	SizeBytes:         1220598,
	UserSizeBytes:     66237,
}}

func diveRules(t *testing.T, eff, bytes, pct string) []Rule {
	t.Helper()
	var rules []Rule
	for _, kv := range [][2]string{{NameLowestEfficiency, eff}, {NameHighestWastedBytes, bytes}, {NameHighestUserWastedPercent, pct}} {
		r, err := ParseRule(kv[0], kv[1], "test")
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	return rules
}

// TestDiveEvaluatorExpectations repeats dive's evaluator_test.go cases.
func TestDiveEvaluatorExpectations(t *testing.T) {
	tests := []struct {
		name           string
		eff, bytes, pc string
		pass           bool
		want           [3]Status // lowestEfficiency, highestWastedBytes, highestUserWastedPercent
	}{
		{"allFail", "0.99", "1B", "0.01", false, [3]Status{Fail, Fail, Fail}},
		{"allPass", "0.9", "50kB", "0.5", true, [3]Status{Pass, Pass, Pass}},
		{"allDisabled", "disabled", "disabled", "disabled", true, [3]Status{Skip, Skip, Skip}},
		{"mixedResults", "0.9", "1B", "0.5", false, [3]Status{Pass, Fail, Pass}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Evaluate(diveTestImage, diveRules(t, tt.eff, tt.bytes, tt.pc))
			if o.Pass != tt.pass {
				t.Errorf("pass = %v, want %v", o.Pass, tt.pass)
			}
			if len(o.Results) != 3 {
				t.Fatalf("%d results, want 3", len(o.Results))
			}
			for i, res := range o.Results {
				if res.Status != tt.want[i] {
					t.Errorf("%s: %v, want %v (figure %v, threshold %v)", res.Rule.Name, res.Status, tt.want[i], res.Value, res.Rule.Threshold)
				}
			}
		})
	}
}

// TestDiveMisconfigurations repeats dive's Test_Evaluator_Misconfigurations.
func TestDiveMisconfigurations(t *testing.T) {
	tests := []struct{ name, rule, setting string }{
		{"efficiency too high", NameLowestEfficiency, "1.1"},
		{"efficiency too low", NameLowestEfficiency, "-0.1"},
		{"efficiency format", NameLowestEfficiency, "not_a_number"},
		{"wasted bytes format", NameHighestWastedBytes, "not_a_size"},
		{"percent too high", NameHighestUserWastedPercent, "1.1"},
		{"percent too low", NameHighestUserWastedPercent, "-0.1"},
		{"percent format", NameHighestUserWastedPercent, "not_a_number"},
		{"ratio too high", NameMaxWastedRatio, "2"},
		{"ratio not a number", NameMaxWastedRatio, "NaN"},
		{"efficiency infinite", NameMinEfficiency, "-Inf"},
		{"negative bytes", NameMaxWastedBytes, "-5MB"},
		{"unknown rule", "maxWaste", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRule(tt.rule, tt.setting, "test")
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("ParseRule(%q, %q) error = %v, want ErrInvalidRule", tt.rule, tt.setting, err)
			}
		})
	}
}

func TestParseRuleSizes(t *testing.T) {
	tests := []struct {
		setting string
		want    float64
	}{
		{"50kB", 50000}, // dive's own reading: go-humanize, SI
		{"20MB", 20_000_000},
		{"1.5GiB", 1.5 * (1 << 30)},
		{"12345", 12345},
		{"1B", 1},
		{" 2 KiB ", 2048},
	}
	for _, tt := range tests {
		r, err := ParseRule(NameMaxWastedBytes, tt.setting, "flag")
		if err != nil {
			t.Errorf("%q: %v", tt.setting, err)
			continue
		}
		if r.Threshold != tt.want {
			t.Errorf("%q = %v bytes, want %v", tt.setting, r.Threshold, tt.want)
		}
	}
	for _, s := range []string{"disabled", "OFF", "false", ""} {
		r, err := ParseRule(NameMaxWastedBytes, s, "flag")
		if err != nil || !r.Disabled {
			t.Errorf("%q: disabled = %v, err = %v; want a disabled rule", s, r.Disabled, err)
		}
	}
}

// TestEvaluateBoundaries checks each comparison at, just below and just
// above its threshold, on whittle's own figures.
func TestEvaluateBoundaries(t *testing.T) {
	rep := &account.Report{
		Image: account.Image{SizeBytes: 1000, WastedBytes: 250},
		Dive:  account.Dive{Efficiency: 0.8},
	}
	tests := []struct {
		rule, setting string
		want          Status
		value         float64
	}{
		{NameMaxWastedBytes, "250", Pass, 250},
		{NameMaxWastedBytes, "249", Fail, 250},
		{NameMaxWastedRatio, "0.25", Pass, 0.25},
		{NameMaxWastedRatio, "0.2", Fail, 0.25},
		{NameMinEfficiency, "0.8", Pass, 0.8},
		{NameMinEfficiency, "0.81", Fail, 0.8},
		{NameMinEfficiency, "0", Pass, 0.8},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.rule, tt.setting, "flag")
		if err != nil {
			t.Fatal(err)
		}
		o := Evaluate(rep, []Rule{r})
		if got := o.Results[0]; got.Status != tt.want || got.Value != tt.value {
			t.Errorf("%s %s: %v with figure %v, want %v with %v", tt.rule, tt.setting, got.Status, got.Value, tt.want, tt.value)
		}
		wantFailed := 0
		if tt.want == Fail {
			wantFailed = 1
		}
		if o.Pass != (wantFailed == 0) || o.Failed() != wantFailed {
			t.Errorf("%s %s: outcome pass=%v failed=%d", tt.rule, tt.setting, o.Pass, o.Failed())
		}
	}
	// An empty image has no waste ratio to fail.
	r, _ := ParseRule(NameMaxWastedRatio, "0", "flag")
	if o := Evaluate(&account.Report{}, []Rule{r}); !o.Pass || o.Results[0].Value != 0 {
		t.Errorf("empty image: %+v", o)
	}
}

func TestParseDiveCI(t *testing.T) {
	tests := []struct {
		name string
		file string
		want map[string]string // rule name -> setting
		src  map[string]string // rule name -> source, when not the file
	}{
		{
			name: "classic",
			file: "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
			want: map[string]string{NameLowestEfficiency: "0.95", NameHighestWastedBytes: "20MB", NameHighestUserWastedPercent: "0.20"},
		},
		{
			name: "quoted and disabled",
			file: "rules:\n  lowestEfficiency: \"0.95\"\n  highestWastedBytes: disabled\n  highestUserWastedPercent: \"disabled\"\n",
			want: map[string]string{NameLowestEfficiency: "0.95", NameHighestWastedBytes: "disabled", NameHighestUserWastedPercent: "disabled"},
		},
		{
			name: "missing keys take dive defaults",
			file: "rules:\n  highestWastedBytes: 1kB\n",
			want: map[string]string{NameLowestEfficiency: "0.9", NameHighestWastedBytes: "1kB", NameHighestUserWastedPercent: "0.1"},
			src:  map[string]string{NameLowestEfficiency: SourceDiveDefault, NameHighestUserWastedPercent: SourceDiveDefault},
		},
		{
			name: "empty file",
			file: "",
			want: map[string]string{NameLowestEfficiency: "0.9", NameHighestWastedBytes: "disabled", NameHighestUserWastedPercent: "0.1"},
			src:  map[string]string{NameLowestEfficiency: SourceDiveDefault, NameHighestWastedBytes: SourceDiveDefault, NameHighestUserWastedPercent: SourceDiveDefault},
		},
		{
			name: "newer dive key names",
			file: "lowest-efficiency-threshold: 0.5\nhighest-wasted-bytes: 2MB\nhighest-user-wasted-percent: 0.3\n",
			want: map[string]string{NameLowestEfficiency: "0.5", NameHighestWastedBytes: "2MB", NameHighestUserWastedPercent: "0.3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseDiveCI(".dive-ci", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) != 3 {
				t.Fatalf("%d rules, want 3", len(rules))
			}
			for _, r := range rules {
				if r.Setting != tt.want[r.Name] {
					t.Errorf("%s = %q, want %q", r.Name, r.Setting, tt.want[r.Name])
				}
				wantSrc := ".dive-ci"
				if s, ok := tt.src[r.Name]; ok {
					wantSrc = s
				}
				if r.Source != wantSrc {
					t.Errorf("%s source = %q, want %q", r.Name, r.Source, wantSrc)
				}
			}
		})
	}
}

func TestParseDiveCIErrors(t *testing.T) {
	for _, file := range []string{
		"rules:\n  lowestEfficiency: 1.5\n",
		"rules:\n  highestWastedBytes: lots\n",
		"rules:\n  lowestEfficency: 0.9\n", // misspelt
		"rules: [1, 2]\n",
		"rules:\n  lowestEfficiency: [0.9]\n",
		"- a list\n",
		"rules: {\n",
	} {
		if _, err := ParseDiveCI(".dive-ci", []byte(file)); err == nil {
			t.Errorf("ParseDiveCI(%q) = nil error", file)
		}
	}
}

// TestMerge checks that later sources override earlier ones per figure, and
// that min-efficiency and dive's lowestEfficiency are one rule.
func TestMerge(t *testing.T) {
	dive, err := ParseDiveCI(".dive-ci", []byte("rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n"))
	if err != nil {
		t.Fatal(err)
	}
	file, err := Thresholds{MaxWastedBytes: "10MB", MinEfficiency: "0.5"}.Rules(".whittle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	flags, err := Thresholds{MaxWastedBytes: "disabled"}.Rules("flag")
	if err != nil {
		t.Fatal(err)
	}
	got := Merge(dive, file, flags)
	want := []struct {
		name, setting, source string
	}{
		{NameMaxWastedBytes, "disabled", "flag"},
		{NameMinEfficiency, "0.5", ".whittle.yaml"},
		{NameHighestWastedBytes, "20MB", ".dive-ci"},
		{NameHighestUserWastedPercent, "0.1", SourceDiveDefault},
	}
	if len(got) != len(want) {
		t.Fatalf("merged %d rules, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Setting != w.setting || got[i].Source != w.source {
			t.Errorf("rule %d = %s %s (%s), want %s %s (%s)", i, got[i].Name, got[i].Setting, got[i].Source, w.name, w.setting, w.source)
		}
	}
	if _, err := (Thresholds{MaxWastedRatio: "x", MinEfficiency: "2"}).Rules("flag"); err == nil {
		t.Error("bad thresholds: nil error")
	}
}

// FuzzParseDiveCI checks that no file makes the parser panic, and that a
// parsed file always yields dive's three rules with valid thresholds.
func FuzzParseDiveCI(f *testing.F) {
	for _, s := range []string{
		"rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
		"rules:\n  highestWastedBytes: disabled\n",
		"lowest-efficiency-threshold: 0.5\n",
		"rules: &a {lowestEfficiency: 0.5}\nother: *a\n",
		"rules:\n", "", "- x\n", "rules: [1]\n", "rules:\n  lowestEfficiency: {a: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, err := ParseDiveCI("fuzz", b)
		if err != nil {
			return
		}
		if len(rules) != 3 {
			t.Fatalf("%d rules", len(rules))
		}
		for _, r := range rules {
			if r.Disabled {
				continue
			}
			if !(r.Threshold >= 0) || (!r.Figure.IsBytes() && r.Threshold > 1) {
				t.Fatalf("%s threshold %v out of range", r.Name, r.Threshold)
			}
		}
	})
}

// TestDiveCIWithPlugins reads the .dive-ci of dive's own repository
// (github.com/wagoodman/dive, MIT licence), which names a plugin's rule:
// dive ignores it without the plugin, and so does whittle.
func TestDiveCIWithPlugins(t *testing.T) {
	const diveOwn = `---
plugins:
  - plugin1

rules:
  # If the efficiency is measured below X%, mark as failed. (expressed as a percentage between 0-1)
  lowestEfficiency: 0.95

  # If the amount of wasted space is at least X or larger than X, mark as failed. (expressed in B, KB, MB, and GB)
  highestWastedBytes: 20Mb

  # If the amount of wasted space makes up for X% of the image, mark as failed. (fail if the threshold is met or crossed; expressed as a percentage between 0-1)
  highestUserWastedPercent: 0.5

  plugin1/rule1: error
`
	rules, err := ParseDiveCI(".dive-ci", []byte(diveOwn))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 3 {
		t.Fatalf("got %d rules, want dive's 3: %+v", len(rules), rules)
	}
	if _, err := ParseDiveCI(".dive-ci", []byte("rules:\n  lowestEfficency: 0.9\n")); err == nil {
		t.Error("a misspelt rule is accepted")
	}
}
