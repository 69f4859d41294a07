package firstboot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
)

// fakeMidoNet is a test double of MidoNet's REST API that behaves as the real one does for
// what the hook uses: the paths, the vendor media types (members accept only theirs: 406
// otherwise), 409 on a duplicate zone name or member, 201 on creation, and hosts that appear
// (registered and alive) only when their Midolman has started.
type fakeMidoNet struct {
	mu      sync.Mutex
	zones   []tunnelZone
	members map[string][]member // zone id -> members
	hosts   map[string]midoHost // host id -> host
	alive   func() []midoHost   // hosts registered so far, asked on every request
	faults  int                 // the next N requests fail (alternating 500 and dropped connection)
	calls   []string            // "METHOD path" of every request
	posts   map[string]int      // member POSTs per host id, to prove nothing is enrolled twice
	// killOnMember SIGKILLs the hook (onKill) as the first member arrives, once.
	killOnMember bool
	onKill       func()
	srv          *httptest.Server
}

func newFakeMidoNet(alive func() []midoHost) *fakeMidoNet {
	f := &fakeMidoNet{members: map[string][]member{}, hosts: map[string]midoHost{}, alive: alive, posts: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeMidoNet) URL() string { return f.srv.URL + "/midonet-api" }
func (f *fakeMidoNet) Close()      { f.srv.Close() }

func (f *fakeMidoNet) serve(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(req.URL.Path, "/midonet-api")
	f.calls = append(f.calls, req.Method+" "+path)
	if f.faults > 0 {
		f.faults--
		if f.faults%2 == 0 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		http.Error(w, "midonet-cluster is restarting", http.StatusServiceUnavailable)
		return
	}
	if f.alive != nil {
		for _, h := range f.alive() {
			f.hosts[h.ID] = h
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	body, _ := io.ReadAll(req.Body)
	switch {
	case req.Method == "GET" && path == "/hosts":
		if !accepts(req, mtHostCollection) {
			http.Error(w, "", http.StatusNotAcceptable)
			return
		}
		var out []midoHost
		for _, h := range f.hosts {
			out = append(out, h)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		reply(w, mtHostCollection, out)
	case req.Method == "GET" && path == "/tunnel_zones":
		if !accepts(req, mtTunnelZoneCollection) {
			http.Error(w, "", http.StatusNotAcceptable)
			return
		}
		reply(w, mtTunnelZoneCollection, append([]tunnelZone{}, f.zones...))
	case req.Method == "POST" && path == "/tunnel_zones":
		ct := req.Header.Get("Content-Type")
		if ct != mtTunnelZone && ct != "application/json" {
			http.Error(w, "", http.StatusUnsupportedMediaType)
			return
		}
		var tz tunnelZone
		if json.Unmarshal(body, &tz) != nil || tz.Name == "" || (tz.Type != "gre" && tz.Type != "vxlan" && tz.Type != "vtep") {
			http.Error(w, "bad tunnel zone", http.StatusBadRequest)
			return
		}
		for _, z := range f.zones {
			if z.Name == tz.Name {
				http.Error(w, "name already exists", http.StatusConflict)
				return
			}
		}
		tz.ID = fmt.Sprintf("tz-%04d", len(f.zones)+1)
		f.zones = append(f.zones, tz)
		w.Header().Set("Location", f.srv.URL+"/midonet-api/tunnel_zones/"+tz.ID)
		w.WriteHeader(http.StatusCreated)
	case len(parts) == 3 && parts[0] == "tunnel_zones" && parts[2] == "hosts":
		zone := parts[1]
		if !f.zoneExists(zone) {
			http.NotFound(w, req)
			return
		}
		switch req.Method {
		case "GET":
			if !accepts(req, mtTunnelZoneHostCollect) {
				http.Error(w, "", http.StatusNotAcceptable)
				return
			}
			reply(w, mtTunnelZoneHostCollect, append([]member{}, f.members[zone]...))
		case "POST":
			if req.Header.Get("Content-Type") != mtTunnelZoneHost {
				http.Error(w, "members accept only the vendor media types", http.StatusNotAcceptable)
				return
			}
			var m member
			if json.Unmarshal(body, &m) != nil || m.HostID == "" || m.IPAddress == "" {
				http.Error(w, "bad member", http.StatusBadRequest)
				return
			}
			if _, ok := f.hosts[m.HostID]; !ok {
				http.Error(w, "no such host", http.StatusBadRequest)
				return
			}
			for _, x := range f.members[zone] {
				if x.HostID == m.HostID {
					http.Error(w, "already a member", http.StatusConflict)
					return
				}
			}
			if f.killOnMember && f.onKill != nil {
				f.killOnMember = false
				f.onKill()
				return
			}
			f.posts[m.HostID]++
			f.members[zone] = append(f.members[zone], m)
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "", http.StatusMethodNotAllowed)
		}
	case req.Method == "DELETE" && len(parts) == 4 && parts[0] == "tunnel_zones" && parts[2] == "hosts":
		ms := f.members[parts[1]]
		for i, m := range ms {
			if m.HostID == parts[3] {
				f.members[parts[1]] = append(ms[:i], ms[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		http.NotFound(w, req)
	default:
		http.NotFound(w, req)
	}
}

func (f *fakeMidoNet) zoneExists(id string) bool {
	for _, z := range f.zones {
		if z.ID == id {
			return true
		}
	}
	return false
}

// accepts: an Accept header naming the vendor type, application/json or anything.
func accepts(req *http.Request, mt string) bool {
	a := req.Header.Get("Accept")
	return a == "" || strings.Contains(a, mt) || strings.Contains(a, "*/*")
}

func reply(w http.ResponseWriter, mt string, v any) {
	w.Header().Set("Content-Type", mt)
	json.NewEncoder(w).Encode(v)
}

// snapshot is the API state a test compares: zones and members by host name.
func (f *fakeMidoNet) snapshot() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for _, z := range f.zones {
		key := z.Name + "/" + z.Type
		out[key] = []string{}
		for _, m := range f.members[z.ID] {
			out[key] = append(out[key], f.hosts[m.HostID].Name+"="+m.IPAddress)
		}
		sort.Strings(out[key])
	}
	return out
}
