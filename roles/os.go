package roles

import "path"

// OS is what depends on the hosts' operating system: how packages are installed, where
// repositories are described, and the Java package. Everything else reads it from here, by
// the description's os.
type OS struct {
	Name string
	// Install is the command that installs packages, the names appended. It fails when a
	// repository lacks one: EL7's yum 3.4 skips such a name with "No package X available."
	// and exits 0 unless told otherwise (skip_missing_names_on_install defaults to True,
	// yum/config.py), and a golden image would be baked without MidoNet.
	Install string
	// Verify is the command that checks the packages are installed, the names appended: it
	// fails naming each one missing ("package X is not installed"), whatever Install said.
	Verify string
	// RepoDir holds one file per repository, rendered from RepoTemplate.
	RepoDir      string
	RepoTemplate string
	// Java is the JRE MidoNet, ZooKeeper and Cassandra run on.
	Java string
}

// OSes are the operating systems midobake supports (cloud validates os against them).
var OSes = map[string]OS{
	"el7": {Name: "el7", Install: "yum -y --setopt=skip_missing_names_on_install=False install", Verify: "rpm -q", RepoDir: "/etc/yum.repos.d", RepoTemplate: "repo.tmpl", Java: "java-1.8.0-openjdk-headless"},
}

// ForOS is the OS of a validated description.
func ForOS(name string) OS {
	if os, ok := OSes[name]; ok {
		return os
	}
	panic("roles: os " + name + " was not validated") // cloud.Load accepts only OSes
}

// RepoPath is where a repository's file goes.
func (o OS) RepoPath(id string) string { return path.Join(o.RepoDir, id+".repo") }

// IsRepoFile reports whether a file of a plan describes a repository.
func (o OS) IsRepoFile(p string) bool { return path.Dir(p) == o.RepoDir }
