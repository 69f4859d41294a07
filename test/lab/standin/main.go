// Command standin plays MidoNet's and Cassandra's programs in the lab, where their packages
// cannot be had: midolman, midonet-cluster (the REST API subset midobake uses, with MidoNet's
// vendor media types), mn-conf, and cassandra. It is installed under the real packages'
// names, paths and units, and keeps its state in the real ZooKeeper, so that hosts see each
// other as in MidoNet and midobake cannot tell the difference. The first argument (or the
// name it is called by) says which program it plays.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Where the state lives in ZooKeeper (under MidoNet's root_key).
const (
	zkRoot          = "/midonet"
	zkDefault       = zkRoot + "/config/templates/default" // mn-conf set -t default
	zkHostTemplates = zkRoot + "/config/hosts"             // <id>/template
	zkHosts         = zkRoot + "/hosts"                    // <id> (JSON), <id>/alive (ephemeral)
	zkZones         = zkRoot + "/tunnel_zones"             // <id> (JSON), <id>/hosts/<host id>
	hostIDFile      = "/etc/midonet_host_id.properties"
	midolmanConf    = "/etc/midolman/midolman.conf"
	midonetConf     = "/etc/midonet/midonet.conf"
	cassandraYAML   = "/etc/cassandra/conf/cassandra.yaml"
	startedFile     = "/var/lib/midolman/started.json" // what Midolman read when it started
)

func main() {
	prog := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if prog == "standin" && len(args) > 0 {
		prog, args = args[0], args[1:]
	}
	var err error
	switch prog {
	case "midolman":
		err = midolman()
	case "midonet-cluster":
		err = cluster()
	case "mn-conf":
		err = mnConf(args)
	case "cassandra":
		err = cassandra()
	default:
		err = fmt.Errorf("standin: unknown program %q", prog)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		var code exitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		os.Exit(1)
	}
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// iniValue reads key in [section] of an INI file.
func iniValue(path, section, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			in = t == "["+section+"]"
			continue
		}
		if k, v, ok := strings.Cut(t, "="); in && ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// connect reaches ZooKeeper within timeout, or fails.
func connect(servers string, timeout time.Duration) (*zk.Conn, error) {
	if servers == "" {
		return nil, errors.New("no zookeeper_hosts configured")
	}
	c, ev, err := zk.Connect(strings.Split(servers, ","), 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		return nil, err
	}
	deadline := time.After(timeout)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c, nil
			}
		case <-deadline:
			c.Close()
			return nil, fmt.Errorf("no ZooKeeper session with %s within %s", servers, timeout)
		}
	}
}

// put creates or sets a node, creating its parents.
func put(c *zk.Conn, path string, data []byte, flags int32) error {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		p := "/" + strings.Join(parts[:i], "/")
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			return err
		}
	}
	if _, err := c.Create(path, data, flags, zk.WorldACL(zk.PermAll)); err == zk.ErrNodeExists {
		_, err = c.Set(path, data, -1)
		return err
	} else {
		return err
	}
}

func get(c *zk.Conn, path string) string {
	b, _, err := c.Get(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// hocon reads "section { key = value }" and "section.key = value" settings of an mn-conf
// template into dotted keys: enough of HOCON for the default template midobake writes.
func hocon(text string) map[string]string {
	out := map[string]string{}
	var stack []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasSuffix(t, "{"):
			stack = append(stack, strings.TrimSpace(strings.TrimSuffix(t, "{")))
		case t == "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			if k, v, ok := strings.Cut(t, "="); ok {
				key := strings.Join(append(append([]string{}, stack...), strings.TrimSpace(k)), ".")
				out[key] = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return out
}

// hostID is this host's MidoNet id, created on first use as the midolman package does.
func hostID() (string, error) {
	if b, err := os.ReadFile(hostIDFile); err == nil {
		if _, v, ok := strings.Cut(strings.TrimSpace(string(b)), "host_uuid="); ok && v != "" {
			return v, nil
		}
	}
	u, err := os.ReadFile("/proc/sys/kernel/random/uuid")
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(u))
	return id, os.WriteFile(hostIDFile, []byte("host_uuid="+id+"\n"), 0o644)
}

// --- mn-conf -------------------------------------------------------------------------------

// mnConf: "set -t default" (the template on standard input) and "template-set -h local -t
// NAME". Like the real one it gives up on ZooKeeper after about a second, with status 3.
func mnConf(args []string) error {
	servers := iniValue(midonetConf, "zookeeper", "zookeeper_hosts")
	if servers == "" {
		servers = iniValue(midolmanConf, "zookeeper", "zookeeper_hosts")
	}
	c, err := connect(servers, 2*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mn-conf:", err)
		return exitCode(3)
	}
	defer c.Close()
	switch {
	case len(args) == 3 && args[0] == "set" && args[1] == "-t":
		in, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
		if err != nil {
			return err
		}
		return put(c, zkRoot+"/config/templates/"+args[2], in, 0)
	case len(args) == 5 && args[0] == "template-set" && args[1] == "-h" && args[2] == "local" && args[3] == "-t":
		id, err := hostID()
		if err != nil {
			return err
		}
		return put(c, zkHostTemplates+"/"+id+"/template", []byte(args[4]), 0)
	}
	return fmt.Errorf("usage: mn-conf set -t TEMPLATE | mn-conf template-set -h local -t TEMPLATE (got %q)", args)
}

// --- midolman ------------------------------------------------------------------------------

type hostRecord struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// midolman registers this host in ZooKeeper, alive while it runs, and records the NSDB
// settings it read at start: like the real agent, it never reads them again.
func midolman() error {
	servers := iniValue(midolmanConf, "zookeeper", "zookeeper_hosts")
	c, err := connect(servers, 30*time.Second)
	if err != nil {
		return err
	}
	id, err := hostID()
	if err != nil {
		return err
	}
	settings := hocon(get(c, zkDefault))
	started := map[string]string{
		"zookeeper_hosts":   servers,
		"cassandra.servers": settings["cassandra.servers"],
		"template":          get(c, zkHostTemplates+"/"+id+"/template"),
		"host_id":           id,
	}
	b, _ := json.MarshalIndent(started, "", "  ")
	os.MkdirAll(filepath.Dir(startedFile), 0o755)
	if err := os.WriteFile(startedFile, append(b, '\n'), 0o644); err != nil {
		return err
	}
	name, _ := os.Hostname()
	rec, _ := json.Marshal(hostRecord{ID: id, Name: name, Addresses: localAddresses()})
	if err := put(c, zkHosts+"/"+id, rec, 0); err != nil {
		return err
	}
	fmt.Printf("midolman: host %s (%s) registered; cassandra.servers=%q\n", id, name, started["cassandra.servers"])
	// Alive while running, as the real agent's ephemeral node: an earlier run's node lives on
	// until that session expires (a restart does not close it), then goes; make ours again.
	alive := zkHosts + "/" + id + "/alive"
	for {
		if ok, _, err := c.Exists(alive); err == nil && !ok {
			if _, err := c.Create(alive, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
				fmt.Fprintln(os.Stderr, "midolman: alive:", err)
			}
		}
		time.Sleep(2 * time.Second)
	}
}

func localAddresses() []string {
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
			out = append(out, ipn.IP.String())
		}
	}
	sort.Strings(out)
	return out
}

// --- cassandra -----------------------------------------------------------------------------

// cassandra listens on the native transport port of cassandra.yaml's rpc_address.
func cassandra() error {
	addr := yamlValue(cassandraYAML, "rpc_address")
	if addr == "" {
		addr = yamlValue(cassandraYAML, "listen_address")
	}
	if addr == "" {
		return fmt.Errorf("%s sets no rpc_address or listen_address", cassandraYAML)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "9042"))
	if err != nil {
		return err
	}
	fmt.Printf("cassandra: cluster %s listening on %s\n", yamlValue(cassandraYAML, "cluster_name"), l.Addr())
	for {
		conn, err := l.Accept()
		if err != nil {
			return err
		}
		conn.Close()
	}
}

func yamlValue(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), key+":"); ok {
			return strings.Trim(strings.TrimSpace(v), `'"`)
		}
	}
	return ""
}

// --- midonet-cluster -----------------------------------------------------------------------

// MidoNet's media types, as midobake sends and expects them.
const (
	mtTunnelZone     = "application/vnd.org.midonet.TunnelZone-v1+json"
	mtTunnelZoneHost = "application/vnd.org.midonet.TunnelZoneHost-v1+json"
)

// cluster serves the REST API subset where mn-conf's default template says
// (cluster.rest_api), waiting for the template as the real cluster waits for its config.
func cluster() error {
	c, err := connect(iniValue(midonetConf, "zookeeper", "zookeeper_hosts"), 60*time.Second)
	if err != nil {
		return err
	}
	var settings map[string]string
	for {
		settings = hocon(get(c, zkDefault))
		if settings["cluster.rest_api.http_port"] != "" {
			break
		}
		time.Sleep(time.Second)
	}
	addr := net.JoinHostPort(settings["cluster.rest_api.http_host"], settings["cluster.rest_api.http_port"])
	fmt.Println("midonet-cluster: REST API on", addr)
	return http.ListenAndServe(addr, &api{c: c})
}

type api struct{ c *zk.Conn }

type zone struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type member struct {
	HostID    string `json:"hostId"`
	IPAddress string `json:"ipAddress"`
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/midonet-api"), "/"), "/")
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if v != nil {
			json.NewEncoder(w).Encode(v)
		}
	}
	switch {
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "hosts":
		var out []map[string]any
		ids, _, _ := a.c.Children(zkHosts)
		sort.Strings(ids)
		for _, id := range ids {
			var h hostRecord
			json.Unmarshal([]byte(get(a.c, zkHosts+"/"+id)), &h)
			alive, _, _ := a.c.Exists(zkHosts + "/" + id + "/alive")
			out = append(out, map[string]any{"id": h.ID, "name": h.Name, "addresses": h.Addresses, "alive": alive})
		}
		reply(200, out)
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "tunnel_zones":
		reply(200, a.zones())
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "tunnel_zones":
		if r.Header.Get("Content-Type") != mtTunnelZone {
			reply(415, nil)
			return
		}
		var z zone
		json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&z)
		for _, old := range a.zones() {
			if old.Name == z.Name {
				reply(409, nil)
				return
			}
		}
		u, _ := os.ReadFile("/proc/sys/kernel/random/uuid")
		z.ID = strings.TrimSpace(string(u))
		b, _ := json.Marshal(z)
		if err := put(a.c, zkZones+"/"+z.ID, b, 0); err != nil {
			reply(500, nil)
			return
		}
		reply(201, nil)
	case len(parts) >= 3 && parts[0] == "tunnel_zones" && parts[2] == "hosts":
		a.members(w, r, parts[1], parts[3:], reply)
	default:
		reply(404, nil)
	}
}

func (a *api) zones() []zone {
	out := []zone{}
	ids, _, _ := a.c.Children(zkZones)
	sort.Strings(ids)
	for _, id := range ids {
		var z zone
		json.Unmarshal([]byte(get(a.c, zkZones+"/"+id)), &z)
		out = append(out, z)
	}
	return out
}

func (a *api) members(w http.ResponseWriter, r *http.Request, zoneID string, rest []string, reply func(int, any)) {
	base := zkZones + "/" + zoneID + "/hosts"
	switch {
	case r.Method == "GET" && len(rest) == 0:
		out := []member{}
		ids, _, _ := a.c.Children(base)
		sort.Strings(ids)
		for _, id := range ids {
			var m member
			json.Unmarshal([]byte(get(a.c, base+"/"+id)), &m)
			out = append(out, m)
		}
		reply(200, out)
	case r.Method == "POST" && len(rest) == 0:
		if r.Header.Get("Content-Type") != mtTunnelZoneHost {
			reply(406, nil) // members take only the vendor type
			return
		}
		var m member
		json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m)
		if ok, _, _ := a.c.Exists(zkHosts + "/" + m.HostID); !ok {
			reply(400, map[string]string{"message": "unknown host " + m.HostID})
			return
		}
		if ok, _, _ := a.c.Exists(base + "/" + m.HostID); ok {
			reply(409, nil)
			return
		}
		b, _ := json.Marshal(m)
		if err := put(a.c, base+"/"+m.HostID, b, 0); err != nil {
			reply(500, nil)
			return
		}
		reply(201, nil)
	case r.Method == "DELETE" && len(rest) == 1:
		a.c.Delete(base+"/"+rest[0], -1)
		reply(204, nil)
	default:
		reply(404, nil)
	}
}
