// Package midonettest is a test double of MidoNet's REST API, for the tests of the hook and
// of the enrolment service.
package midonettest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/midobake/midobake/midonet"
)

// API is a test double of MidoNet's REST API that behaves as the real one does for
// what the hook uses: the paths, the vendor media types (members accept only theirs: 406
// otherwise), 409 on a duplicate zone name or member, 201 on creation, and hosts that appear
// (registered and alive) only when their Midolman has started.
type API struct {
	Mu      sync.Mutex
	Zones   []midonet.TunnelZone
	Members map[string][]midonet.Member // zone id -> members
	Hosts   map[string]midonet.Host     // host id -> host
	Alive   func() []midonet.Host       // hosts registered so far, asked on every request
	Faults  int                         // the next N requests fail (alternating 500 and dropped connection)
	Calls   []string                    // "METHOD path" of every request
	Posts   map[string]int              // member POSTs per host id, to prove nothing is enrolled twice
	// KillOnMember calls OnKill (a test SIGKILLs the hook) as the first member arrives, once.
	KillOnMember bool
	OnKill       func()
	srv          *httptest.Server
}

// NewAPI starts the double; alive lists the hosts registered so far (nil: none but those a
// test adds to Hosts).
func NewAPI(alive func() []midonet.Host) *API {
	f := &API{Members: map[string][]midonet.Member{}, Hosts: map[string]midonet.Host{}, Alive: alive, Posts: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// URL is the API's base, as the hook's --api takes it.
func (f *API) URL() string { return f.srv.URL + "/midonet-api" }

// Close stops the server.
func (f *API) Close() { f.srv.Close() }

func (f *API) serve(w http.ResponseWriter, req *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	path := strings.TrimPrefix(req.URL.Path, "/midonet-api")
	f.Calls = append(f.Calls, req.Method+" "+path)
	if f.Faults > 0 {
		f.Faults--
		if f.Faults%2 == 0 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		http.Error(w, "midonet-cluster is restarting", http.StatusServiceUnavailable)
		return
	}
	if f.Alive != nil {
		for _, h := range f.Alive() {
			f.Hosts[h.ID] = h
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	body, _ := io.ReadAll(req.Body)
	switch {
	case req.Method == "GET" && path == "/hosts":
		if !accepts(req, midonet.MediaHostCollection) {
			http.Error(w, "", http.StatusNotAcceptable)
			return
		}
		var out []midonet.Host
		for _, h := range f.Hosts {
			out = append(out, h)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		reply(w, midonet.MediaHostCollection, out)
	case req.Method == "GET" && path == "/tunnel_zones":
		if !accepts(req, midonet.MediaTunnelZoneCollection) {
			http.Error(w, "", http.StatusNotAcceptable)
			return
		}
		reply(w, midonet.MediaTunnelZoneCollection, append([]midonet.TunnelZone{}, f.Zones...))
	case req.Method == "POST" && path == "/tunnel_zones":
		ct := req.Header.Get("Content-Type")
		if ct != midonet.MediaTunnelZone && ct != "application/json" {
			http.Error(w, "", http.StatusUnsupportedMediaType)
			return
		}
		var tz midonet.TunnelZone
		if json.Unmarshal(body, &tz) != nil || tz.Name == "" || (tz.Type != "gre" && tz.Type != "vxlan" && tz.Type != "vtep") {
			http.Error(w, "bad tunnel zone", http.StatusBadRequest)
			return
		}
		for _, z := range f.Zones {
			if z.Name == tz.Name {
				http.Error(w, "name already exists", http.StatusConflict)
				return
			}
		}
		tz.ID = fmt.Sprintf("tz-%04d", len(f.Zones)+1)
		f.Zones = append(f.Zones, tz)
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
			if !accepts(req, midonet.MediaTunnelZoneHostCollection) {
				http.Error(w, "", http.StatusNotAcceptable)
				return
			}
			reply(w, midonet.MediaTunnelZoneHostCollection, append([]midonet.Member{}, f.Members[zone]...))
		case "POST":
			if req.Header.Get("Content-Type") != midonet.MediaTunnelZoneHost {
				http.Error(w, "members accept only the vendor media types", http.StatusNotAcceptable)
				return
			}
			var m midonet.Member
			if json.Unmarshal(body, &m) != nil || m.HostID == "" || m.IPAddress == "" {
				http.Error(w, "bad member", http.StatusBadRequest)
				return
			}
			if _, ok := f.Hosts[m.HostID]; !ok {
				http.Error(w, "no such host", http.StatusBadRequest)
				return
			}
			for _, x := range f.Members[zone] {
				if x.HostID == m.HostID {
					http.Error(w, "already a member", http.StatusConflict)
					return
				}
			}
			if f.KillOnMember && f.OnKill != nil {
				f.KillOnMember = false
				f.OnKill()
				return
			}
			f.Posts[m.HostID]++
			f.Members[zone] = append(f.Members[zone], m)
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "", http.StatusMethodNotAllowed)
		}
	case req.Method == "DELETE" && len(parts) == 4 && parts[0] == "tunnel_zones" && parts[2] == "hosts":
		ms := f.Members[parts[1]]
		for i, m := range ms {
			if m.HostID == parts[3] {
				f.Members[parts[1]] = append(ms[:i], ms[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		http.NotFound(w, req)
	default:
		http.NotFound(w, req)
	}
}

func (f *API) zoneExists(id string) bool {
	for _, z := range f.Zones {
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

// Snapshot is the API state a test compares: zones and members by host name.
func (f *API) Snapshot() map[string][]string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := map[string][]string{}
	for _, z := range f.Zones {
		key := z.Name + "/" + z.Type
		out[key] = []string{}
		for _, m := range f.Members[z.ID] {
			out[key] = append(out[key], f.Hosts[m.HostID].Name+"="+m.IPAddress)
		}
		sort.Strings(out[key])
	}
	return out
}
