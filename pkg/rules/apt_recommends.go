package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// aptRecommends is WH202: apt-get install without --no-install-recommends.
type aptRecommends struct{}

func (aptRecommends) Meta() Meta {
	return Meta{
		ID:       "WH202",
		Name:     "apt-install-recommends",
		Summary:  "apt-get install without --no-install-recommends also installs every recommended package.",
		Hadolint: []string{"DL3015"},
		Severity: Warning,
		Doc:      "docs/rules/WH202.md",
		Repair:   Unsafe,
		Intent:   []string{"recommend"},
	}
}

func (aptRecommends) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		configured := false
		for i, c := range ri.cmds {
			if configuresNoRecommends(c) {
				configured = true
			}
			// NoInstallRecommends covers --no-install-recommends,
			// aptitude -R/--without-recommends and
			// -o APT::Install-Recommends=false.
			pk := c.pkg(shellfacts.Apt)
			if pk == nil || pk.RawVerb != "install" || pk.NoInstallRecommends {
				continue
			}
			if c.hasFlag("without-recommends") || configured || p.recommendsConfigured(ri) {
				continue
			}
			// An install that names no package installs nothing of its own
			// (its list, if any, reaches it in a way whittle does not
			// read); -f installs what broken packages miss, recommends too.
			if len(pk.Packages) == 0 && !c.hasFlag("f", "fix-broken") {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				c.Name+" install without --no-install-recommends also installs recommended packages, often more than the ones asked for",
				"add --no-install-recommends and name any recommended package you really need")
			f.Repair = p.recommendsRepair(ri, i)
			out = append(out, f)
		}
	}
	return out
}

// aptValued are apt-get's options that take a value.
var aptValued = []string{"-o", "-c", "-t", "--target-release", "--option", "--config-file"}

// httpsClients are packages whose programs fetch over https: without
// their recommended ca-certificates they cannot check a server.
var httpsClients = map[string]bool{
	"curl": true, "wget": true, "git": true, "git-core": true, "apt-transport-https": true,
	"libcurl4": true, "libcurl3-gnutls": true, "python3-requests": true, "subversion": true,
}

// nativeBuilders are packages whose recommends bring the compilers and
// headers their package manager uses to build from source (python3-pip
// recommends build-essential and python3-dev), with that manager.
var nativeBuilders = map[string]shellfacts.Manager{
	"python3-pip": shellfacts.Pip, "python-pip": shellfacts.Pip,
	"npm": shellfacts.Npm, "ruby-dev": shellfacts.Gem, "ruby-full": shellfacts.Gem,
}

// recommendsRepair adds --no-install-recommends to the install at index i
// of the RUN. It is unsafe: the packages the recommends brought are gone.
// Where the stage shows what it needs of them, the repair names it, as
// experts write it (`--no-install-recommends ca-certificates curl`):
// ca-certificates for https, dirmngr and gpg-agent for gpg --recv-keys.
func (p *Pass) recommendsRepair(ri *runInfo, i int) *Repair {
	c := ri.cmds[i]
	se := ri.shell()
	if c.Pkg.Tool == "aptitude" || se == nil {
		return nil
	}
	flag, ok := se.flagAfterVerb(c.Command, "--no-install-recommends", aptValued...)
	if !ok {
		return nil
	}
	names := map[string]bool{}
	for _, op := range c.Pkg.Packages {
		names[layerPkgName(shellfacts.Apt, op)] = true
	}
	var add, why []string
	client := ""
	for n := range names {
		if httpsClients[n] && (client == "" || n < client) {
			client = n
		}
	}
	if !p.aptInstalled(ri, i, "ca-certificates") {
		switch line := p.httpsUse(ri, i); {
		case client != "":
			add = append(add, "ca-certificates")
			why = append(why, "ca-certificates is named because "+client+" needs it for https, and it came as a recommend")
		case line > 0:
			add = append(add, "ca-certificates")
			why = append(why, fmt.Sprintf("ca-certificates is named because the stage fetches over https (line %d), and it came as a recommend", line))
		}
	}
	if names["gpg"] || names["gnupg"] || names["gnupg2"] {
		// gpg fetches keys through dirmngr, and after the import it starts
		// gpg-agent: without the agent it exits 2 though the key is
		// imported. Both came as recommends (gpg recommends gnupg).
		var helpers []string
		for _, n := range []string{"dirmngr", "gpg-agent"} {
			if !p.aptInstalled(ri, i, n) {
				helpers = append(helpers, n)
			}
		}
		if line := p.recvKeys(ri, i); line > 0 && len(helpers) > 0 {
			add = append(add, helpers...)
			named, came := helpers[0]+" is", "it came as a recommend"
			if len(helpers) > 1 {
				named, came = strings.Join(helpers, " and ")+" are", "they came as recommends"
			}
			why = append(why, fmt.Sprintf("%s named because gpg fetches keys from a keyserver (line %d) with dirmngr and exits 2 when it cannot start gpg-agent, and %s", named, line, came))
		}
	}
	for n, m := range nativeBuilders {
		if names[n] && p.managerInstallsLater(ri, i, m) {
			why = append(why, fmt.Sprintf("%s recommends the compilers and headers that %s needs to build packages from source; name the ones the build needs", n, m))
		}
	}
	slices.Sort(why)
	edits := []edit.Edit{flag}
	msg := "add --no-install-recommends to " + c.Name + " install"
	if len(add) > 0 {
		at, ok := firstOperandAt(se, c)
		if !ok {
			return nil
		}
		edits = append(edits, edit.Insert(at, strings.Join(add, " ")+" "))
		msg += " and install " + strings.Join(add, " ") + " by name"
	}
	reason := "without its recommends apt installs only what the packages depend on: whatever the image used of the recommended packages is gone"
	if len(why) > 0 {
		reason += "; " + strings.Join(why, "; ")
	}
	return newRepair(p.File, Unsafe, msg, reason, edits...)
}

// firstOperandAt returns the offset of the first package word of an apt
// install, where a package can be put first.
func firstOperandAt(se *shellEdit, c command) (int, bool) {
	cl, ok := se.callOf(c.Command)
	if !ok {
		return 0, false
	}
	v, ok := cl.verbAt(c.Pkg, aptValued...)
	if !ok {
		return 0, false
	}
	skip := false
	for k := v + 1; k < len(cl.args); k++ {
		a := cl.args[k]
		switch {
		case skip:
			skip = false
		case cl.lit[k] && strings.HasPrefix(a, "-"):
			skip = slices.Contains(aptValued, a)
		default:
			return se.sc.Offset(cl.words[k].Pos()), true
		}
	}
	return 0, false
}

// aptInstalled reports whether name is installed with apt, by name, in
// the stage chain before the command at index i of the RUN, or by it.
func (p *Pass) aptInstalled(ri *runInfo, i int, name string) bool {
	named := func(c command) bool {
		if pk := c.pkg(shellfacts.Apt); pk != nil && pk.Verb == shellfacts.Install {
			for _, op := range pk.Packages {
				if layerPkgName(shellfacts.Apt, op) == name {
					return true
				}
			}
		}
		return false
	}
	return p.cmdIndex("apt-installs "+name, named).before(ri, i+1)
}

// after returns the line of the first command after index i of the RUN,
// then of the later RUNs of the stage and of stages built on it, for which
// fn holds, or 0. key names fn (see cmdIndex).
func (p *Pass) after(ri *runInfo, i int, key string, fn func(c command) bool) int {
	if at, ok := p.cmdIndex(key, fn).after(ri, i); ok {
		return at.line()
	}
	return 0
}

// httpsUse returns the line of the first command after index i that names
// an https URL (a download, a git clone, an apt source), or 0.
func (p *Pass) httpsUse(ri *runInfo, i int) int {
	return p.after(ri, i, "https", func(c command) bool {
		return slices.ContainsFunc(c.Args, func(a string) bool { return strings.Contains(strings.ToLower(a), "https://") })
	})
}

// recvKeys returns the line of the first gpg or apt-key command after
// index i that fetches keys from a keyserver, or 0.
func (p *Pass) recvKeys(ri *runInfo, i int) int {
	return p.after(ri, i, "recv-keys", func(c command) bool {
		if c.Name != "gpg" && c.Name != "gpg2" && c.Name != "apt-key" {
			return false
		}
		return c.hasFlag("recv-keys", "recv-key", "receive-keys", "keyserver")
	})
}

// managerInstallsLater reports whether manager m installs packages after
// index i.
func (p *Pass) managerInstallsLater(ri *runInfo, i int, m shellfacts.Manager) bool {
	return p.after(ri, i, "installs "+string(m), func(c command) bool {
		pk := c.pkg(m)
		return pk != nil && pk.Verb == shellfacts.Install
	}) > 0
}

// configuresNoRecommends reports whether a command writes an apt
// configuration that turns recommends off (echo 'APT::Install-Recommends
// "false";' > /etc/apt/apt.conf.d/...).
func configuresNoRecommends(c command) bool {
	if c.Name != "echo" && c.Name != "printf" {
		return false
	}
	if len(c.Redirs) == 0 {
		return false
	}
	text := strings.ToLower(strings.Join(c.Args, " "))
	return strings.Contains(text, "install-recommends") &&
		(strings.Contains(text, "false") || strings.Contains(text, `"0"`) || strings.Contains(text, " 0"))
}

// recommendsConfigured reports whether an earlier RUN of the stage chain
// configured apt not to install recommends.
func (p *Pass) recommendsConfigured(ri *runInfo) bool {
	return p.cmdIndex("configures no recommends", configuresNoRecommends).before(ri, 0)
}
