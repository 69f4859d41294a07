package firstboot

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// cassandra: on a Cassandra node, the cluster name, seeds and this node's addresses in
// cassandra.yaml (the rest as the package wrote it), its run directory, then start it.
func init() {
	register(Step{Name: "cassandra", Summary: "on a Cassandra host: the settings (cluster name, seeds) and the host's listen address in cassandra.yaml before its first start, then start",
		RunsFor:  []string{cloud.RoleCassandra},
		Describe: describeCassandra, Check: checkCassandra, Do: doCassandra})
}

// checkCassandra: cassandra.yaml has every setting of the site data and this node's addresses.
func checkCassandra(ctx context.Context, e *Env) Check {
	cur, err := e.opts.Root.Read(roles.CassandraYAMLPath)
	if err != nil {
		return unknown("cannot read %s: %v", roles.CassandraYAMLPath, err)
	}
	if cur == nil {
		return fails("%s is missing", roles.CassandraYAMLPath)
	}
	settings, err := cassandraSettings(e)
	if err != nil {
		return unknown("%v", err)
	}
	s := string(cur)
	for _, kv := range settings {
		s = setCassandraKey(s, kv[0], kv[1])
	}
	return holdsIf(s == string(cur),
		fmt.Sprintf("%s has the cluster name, seeds and addresses of the site data", roles.CassandraYAMLPath),
		fmt.Sprintf("%s differs from the site data's settings", roles.CassandraYAMLPath))
}

var reSeeds = regexp.MustCompile(`(?m)^(\s*-?\s*)seeds:.*$`)

func describeCassandra(e *Env) []string {
	return []string{
		fmt.Sprintf("apply %s (cluster_name '%s', seeds \"%s\") and listen_address, rpc_address %s to %s", roles.CassandraSettingsPath, e.c.Midonet.CassandraClusterName, strings.Join(e.top.CassandraServers(), ","), e.host.Address, roles.CassandraYAMLPath),
		fmt.Sprintf("%s owned by cassandra, now and at every boot (%s)", roles.CassandraRunDir, roles.CassandraTmpfilesPath),
		e.describeService(roles.UnitCassandra) + " (the cluster name is final once it has started)",
	}
}

// cassandraSettings reads the settings to apply, in order: the file the user-data or the
// image wrote (an overridden template may add keys), else the plan's rendering, then this
// host's addresses.
func cassandraSettings(e *Env) ([][2]string, error) {
	src, err := e.opts.Root.Read(roles.CassandraSettingsPath)
	if err != nil {
		return nil, err
	}
	if src == nil {
		src = []byte(e.planContent(roles.CassandraSettingsPath))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", roles.CassandraSettingsPath, err)
	}
	var out [][2]string
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			v, err := yaml.Marshal(m.Content[i+1])
			if err != nil {
				return nil, err
			}
			out = append(out, [2]string{m.Content[i].Value, strings.TrimSpace(string(v))})
		}
	} else if len(doc.Content) > 0 {
		return nil, fmt.Errorf("%s: not a mapping of cassandra.yaml keys", roles.CassandraSettingsPath)
	}
	return append(out, [2]string{"listen_address", e.host.Address}, [2]string{"rpc_address", e.host.Address}), nil
}

// doCassandra sets the keys Cassandra needs before its first start in the packaged
// cassandra.yaml, leaving the rest as the package wrote it.
func doCassandra(ctx context.Context, e *Env) (string, error) {
	old, err := e.opts.Root.Read(roles.CassandraYAMLPath)
	if err != nil {
		return "", err
	}
	if old == nil {
		return "", fmt.Errorf("%s not found: is the dsc22 package installed?", roles.CassandraYAMLPath)
	}
	if _, err := e.settingsFile(roles.CassandraSettingsPath); err != nil {
		return "", err
	}
	settings, err := cassandraSettings(e)
	if err != nil {
		return "", err
	}
	s := string(old)
	if err := checkClusterName(e, string(old), settings); err != nil {
		return "", err
	}
	for _, kv := range settings {
		s = setCassandraKey(s, kv[0], kv[1])
	}
	did, err := e.opts.Root.Write(roles.CassandraYAMLPath, []byte(s), 0o644)
	if err != nil {
		return "", err
	}
	if err := cassandraRunDir(ctx, e); err != nil {
		return "", err
	}
	if err := e.startService(ctx, roles.UnitCassandra); err != nil {
		return "", err
	}
	return changed(roles.CassandraYAMLPath, did) + ", cassandra started", nil
}

// setCassandraKey sets one key of cassandra.yaml: the seeds inside the seed provider's
// parameters, any other key at the top level, where it is (commented out or not) or at the end.
func setCassandraKey(s, key, value string) string {
	if key == "seeds" {
		if reSeeds.MatchString(s) {
			return reSeeds.ReplaceAllLiteralString(s, reSeeds.FindStringSubmatch(s)[1]+"seeds: "+value)
		}
		return s + "seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: " + value + "\n"
	}
	re := regexp.MustCompile(`(?m)^(#\s?)?` + regexp.QuoteMeta(key) + `:.*$`)
	line := key + ": " + value
	if loc := re.FindStringIndex(s); loc != nil {
		return s[:loc[0]] + line + s[loc[1]:]
	}
	return strings.TrimSuffix(s, "\n") + "\n" + line + "\n"
}

// cassandraRunDir makes sure of the directory EL7's Cassandra init script keeps its pid file
// in: at every boot through tmpfiles.d (the user-data or the image wrote the entry; written
// here if not), and now, since this boot's tmpfiles run came before the package existed.
func cassandraRunDir(ctx context.Context, e *Env) error {
	if old, err := e.opts.Root.Read(roles.CassandraTmpfilesPath); err != nil {
		return err
	} else if old == nil {
		if _, err := e.opts.Root.Write(roles.CassandraTmpfilesPath, []byte(e.planContent(roles.CassandraTmpfilesPath)), 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(e.opts.Root.Path(roles.CassandraRunDir), 0o755); err != nil {
		return err
	}
	return e.cmd(ctx, nil, "chown", "cassandra:cassandra", e.opts.Root.Path(roles.CassandraRunDir))
}

var reClusterName = regexp.MustCompile(`(?m)^cluster_name:\s*(.*?)\s*$`)

// checkClusterName refuses to change the cluster name of a Cassandra that has started: it
// keeps the name in its system tables and refuses to start with another.
func checkClusterName(e *Env, current string, settings [][2]string) error {
	if e.state.Inputs[roles.UnitCassandra] == nil {
		return nil // never started by midobake: the name is not final yet
	}
	m := reClusterName.FindStringSubmatch(current)
	for _, kv := range settings {
		if kv[0] == "cluster_name" && m != nil && strings.Trim(m[1], `'"`) != strings.Trim(kv[1], `'"`) {
			//lint:ignore ST1005 it starts with a proper noun, as the operator reads it
			return fmt.Errorf("Cassandra's cluster name is %s and the site data says %s: Cassandra keeps its cluster name from its first start and will not start with another; keep %s in midonet.cassandraClusterName, or wipe /var/lib/cassandra on every NSDB host (losing what Cassandra holds) and run again", m[1], kv[1], m[1])
		}
	}
	return nil
}
