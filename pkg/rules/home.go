package rules

import (
	"path"
	"strings"
)

// userHome is the home directory of the user a RUN runs as: where the
// per-user caches (~/.cache/pip, ~/.npm, ...) go.
type userHome struct {
	// dir is the home, absolute; "" when the Dockerfile does not show it
	// (a USER other than root created out of sight, or without a home).
	dir string
	// user is the USER as written, "" for root.
	user string
}

// homeOf returns the home of the RUN's user: HOME from ENV or ARG; /root
// for root; for another USER, the home the Dockerfile gives it in an
// earlier RUN of the stage (or of a stage it is built on): useradd -m
// (under /home, or -b), useradd -d DIR, adduser (--home/-h DIR, else
// /home/NAME); else the home a well-known base image gives the user it
// creates (baseImageUser: node's node is /home/node). A user made
// elsewhere (another base image, a script), or by
// useradd without -m or -d, or a system user of adduser without a home
// given, has a home the Dockerfile does not show.
func (p *Pass) homeOf(ri *runInfo) userHome {
	if v, ok := envLookup(p.File, ri.in, "HOME"); ok && path.IsAbs(v) && !strings.Contains(v, "$") {
		return userHome{dir: path.Clean(v)}
	}
	if !nonRoot(ri.in) {
		return userHome{dir: "/root"}
	}
	u := ri.in.Scope.User
	name, _, _ := strings.Cut(u, ":")
	h := userHome{user: name}
	found := false
	for s := ri.in.Stage; s != nil; s = s.BaseStage {
		for _, x := range s.Instructions {
			if s == ri.in.Stage && x.Index >= ri.in.Index {
				break
			}
			o := p.run(x)
			if o == nil {
				continue
			}
			for _, c := range o.cmds {
				if login, uid, dir, ok := userMade(c); ok && (login == name || uid != "" && uid == name) {
					h.dir, found = dir, true
				}
			}
		}
		if found {
			break
		}
	}
	if !found && ri.in.Stage != nil {
		if u, ok := baseImageUser(rootBase(ri.in.Stage).Base, name); ok {
			h.dir = u.home
		}
	}
	return h
}

// imageUser is a user a well-known base image creates, as the image's
// own Dockerfile makes it.
type imageUser struct {
	login, home string
	uid         string // "" when it differs between the image's variants
	alpineUID   string // the uid in the -alpine variants, when it differs
}

// baseImageUser returns the user named login (or by uid) that the base
// image ref creates, matched by the image's repository (any tag or
// digest); false for an image not known here or a user it does not make.
func baseImageUser(ref, login string) (imageUser, bool) {
	prefix, repo, tag, ok := baseParts(ref)
	if !ok {
		return imageUser{}, false
	}
	var u imageUser
	switch {
	case prefix == "" && repo == "node":
		u = imageUser{login: "node", uid: "1000", home: "/home/node"}
	case prefix == "" && repo == "gradle":
		u = imageUser{login: "gradle", home: "/home/gradle"}
	case prefix == "" && repo == "jenkins/jenkins":
		u = imageUser{login: "jenkins", uid: "1000", home: "/var/jenkins_home"}
	case (prefix == "" || prefix == "quay.io/") && strings.HasPrefix(repo, "jupyter/"):
		u = imageUser{login: "jovyan", uid: "1000", home: "/home/jovyan"}
	case prefix == "" && strings.HasPrefix(repo, "cimg/"):
		u = imageUser{login: "circleci", uid: "3434", home: "/home/circleci"}
	case prefix == "" && strings.HasPrefix(repo, "selenium/"):
		u = imageUser{login: "seluser", uid: "1200", home: "/home/seluser"}
	case prefix == "" && repo == "postgres":
		u = imageUser{login: "postgres", uid: "999", alpineUID: "70", home: "/var/lib/postgresql"}
	default:
		return imageUser{}, false
	}
	if u.alpineUID != "" && strings.Contains(tag, "alpine") {
		u.uid = u.alpineUID
	}
	if login != u.login && (u.uid == "" || login != u.uid) {
		return imageUser{}, false
	}
	return u, true
}

// underHome returns a per-user path of root's home (dir under /root) as
// the RUN's user has it: the text to show and the absolute path; the path
// is "" and the text names $HOME in words when the Dockerfile does not
// show that user's home. Other paths are returned as they are.
func (p *Pass) underHome(ri *runInfo, dir string) (text, abs string) {
	sub, ok := strings.CutPrefix(dir, "/root/")
	if !ok {
		return dir, dir
	}
	h := p.homeOf(ri)
	switch {
	case h.dir == "/root":
		return dir, dir
	case h.dir != "":
		j := path.Join(h.dir, sub)
		return j, j
	}
	return "$HOME/" + sub + h.note(), ""
}

// note says in words whose $HOME a path names, when the Dockerfile does
// not show that home.
func (h userHome) note() string {
	return " (the home directory of user " + h.user + ", which the Dockerfile does not show)"
}

// userMade reads a useradd or adduser command: the login it makes, the
// uid given, and the home it gives that login; false when it makes none
// or the home is not shown.
func userMade(c command) (login, uid, dir string, ok bool) {
	var valued map[string]string // option -> canonical name
	var flags map[string]string
	switch c.Name {
	case "useradd":
		valued = map[string]string{"-b": "base", "--base-dir": "base", "-c": "", "--comment": "", "-d": "home", "--home-dir": "home",
			"-e": "", "--expiredate": "", "-f": "", "--inactive": "", "-g": "", "--gid": "", "-G": "", "--groups": "",
			"-k": "", "--skel": "", "-K": "", "--key": "", "-p": "", "--password": "", "-R": "", "--root": "",
			"-P": "", "--prefix": "", "-s": "", "--shell": "", "-u": "uid", "--uid": "uid", "-Z": "", "--selinux-user": ""}
		flags = map[string]string{"-m": "create", "--create-home": "create", "-M": "nocreate", "--no-create-home": "nocreate",
			"-D": "defaults", "--defaults": "defaults"}
	case "adduser":
		valued = map[string]string{"-h": "home", "--home": "home", "-g": "", "--gecos": "", "-s": "", "--shell": "",
			"-G": "", "--ingroup": "", "--gid": "", "-u": "uid", "--uid": "uid", "-k": "", "--firstuid": "", "--lastuid": "",
			"--conf": "", "--comment": "", "--add-extra-groups": ""}
		flags = map[string]string{"-S": "system", "--system": "system", "-H": "nocreate", "--no-create-home": "nocreate",
			"--group": "group"}
	default:
		return "", "", "", false
	}
	got := map[string]string{}
	var ops []string
	args := c.Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			ops = append(ops, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			ops = append(ops, a)
			continue
		}
		if k, v, eq := strings.Cut(a, "="); eq && strings.HasPrefix(a, "--") {
			if n, known := valued[k]; known {
				got[n] = v
			}
			continue
		}
		if n, known := valued[a]; known {
			if i+1 < len(args) {
				got[n] = args[i+1]
				i++
			}
			continue
		}
		if n, known := flags[a]; known {
			got[n] = "1"
			continue
		}
		if strings.HasPrefix(a, "--") {
			continue // an option not known here: taken as a flag
		}
		// Short options together (-rm), the last may take a value (-md/x
		// or -md /x).
		for k := 1; k < len(a); k++ {
			o := "-" + a[k:k+1]
			if n, known := valued[o]; known {
				v := a[k+1:]
				if v == "" && i+1 < len(args) {
					v = args[i+1]
					i++
				}
				got[n] = v
				break
			}
			if n, known := flags[o]; known {
				got[n] = "1"
			}
		}
	}
	if got["defaults"] != "" || len(ops) != 1 {
		return "", "", "", false // useradd -D, or adduser USER GROUP (adds to a group)
	}
	login, uid = ops[0], got["uid"]
	switch {
	case strings.ContainsAny(login, "$`") || strings.ContainsAny(got["home"]+got["base"], "$`"):
		return "", "", "", false
	case got["home"] != "":
		dir = got["home"]
	case got["nocreate"] != "":
		return login, uid, "", true
	case c.Name == "useradd" && got["create"] != "":
		base := "/home"
		if got["base"] != "" {
			base = got["base"]
		}
		dir = path.Join(base, login)
	case c.Name == "adduser" && got["system"] == "":
		dir = path.Join("/home", login)
	default:
		return login, uid, "", true
	}
	if !path.IsAbs(dir) {
		return login, uid, "", true
	}
	return login, uid, path.Clean(dir), true
}
