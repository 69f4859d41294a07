package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/midonet"
	"github.com/midobake/midobake/report"
	"github.com/midobake/midobake/site"
)

// Sources are where status reads.
type Sources struct {
	ZooKeeper []string        // the ensemble's client addresses
	API       *midonet.Client // the MidoNet API
	Serve     string          // serve's base URL, or ""
	HTTP      *http.Client
	// Euctl reads Eucalyptus's network configuration; nil: not checked (no euctl here).
	Euctl func(ctx context.Context) ([]byte, error)
}

// maxServeList bounds serve's list of reports: one bounded report per host it serves.
const maxServeList = 256 << 20

// NetworkProperty is the Eucalyptus property that holds the network configuration.
const NetworkProperty = "cloud.network.network_configuration"

// Gather reads every source at once and says what it could not read; it writes nothing.
func Gather(ctx context.Context, c *cloud.Cloud, src Sources) Facts {
	var f Facts
	var wg sync.WaitGroup
	f.Servers = make([]Server, len(src.ZooKeeper))
	for i, addr := range src.ZooKeeper {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mode, err := midonet.Mode(ctx, addr)
			f.Servers[i] = Server{Address: addr, Mode: mode}
			if err != nil {
				f.Servers[i].Error = cloud.Printable(err.Error(), 200)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := midonet.Session(ctx, src.ZooKeeper)
		if err != nil {
			f.ZooKeeperError = cloud.Printable(err.Error(), 300)
			return
		}
		defer conn.Close()
		if f.Reports, err = midonet.Reports(conn, c.Name); err != nil {
			f.ZooKeeperError = cloud.Printable(err.Error(), 300)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := readAPI(ctx, c, src.API, &f); err != nil {
			f.APIError = cloud.Printable(err.Error(), 300)
		}
	}()
	if src.Serve != "" {
		f.ServeAsked = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if f.ServeReports, err = readServe(ctx, src.HTTP, src.Serve); err != nil {
				f.ServeError = cloud.Printable(err.Error(), 300)
			}
		}()
	}
	f.Network = Check{Name: "eucalyptus-network-configuration", Detail: "no euctl here (run status on the CLC to check it)"}
	if src.Euctl != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Network = networkCheck(ctx, c, src.Euctl)
		}()
	}
	wg.Wait()
	return f
}

func readAPI(ctx context.Context, c *cloud.Cloud, api *midonet.Client, f *Facts) error {
	hosts, err := api.Hosts(ctx)
	if err != nil {
		return err
	}
	zones, err := api.TunnelZones(ctx)
	if err != nil {
		return err
	}
	f.Hosts = hosts
	for i := range zones {
		if zones[i].Name == c.Midonet.TunnelZone.Name {
			f.Zone = &zones[i]
		}
	}
	if f.Zone != nil {
		if f.Members, err = api.Members(ctx, f.Zone.ID); err != nil {
			return err
		}
	}
	return nil
}

// readServe reads serve's reports; each is parsed as if read from ZooKeeper: serve checked
// where it came from, not what it says.
func readServe(ctx context.Context, client *http.Client, base string) ([]midonet.Stored, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+site.ReportListPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("serve: %s: HTTP %d", site.ReportListPath, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxServeList+1))
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if len(data) > maxServeList {
		return nil, fmt.Errorf("serve: its list of reports is larger than %d MiB", maxServeList>>20)
	}
	var list site.ReceivedList
	if err := json.Unmarshal(data, &list); err != nil || list.Version != report.Version {
		return nil, fmt.Errorf("serve: %s is not a version %d list of reports", site.ReportListPath, report.Version)
	}
	out := make([]midonet.Stored, 0, len(list.Reports))
	for _, r := range list.Reports {
		s := midonet.Stored{Name: r.Name}
		s.Report, s.Bad = report.Parse(r.Name, r.Report)
		out = append(out, s)
	}
	return out, nil
}

func networkCheck(ctx context.Context, c *cloud.Cloud, euctl func(context.Context) ([]byte, error)) Check {
	ch := Check{Name: "eucalyptus-network-configuration", Checked: true}
	got, err := euctl(ctx)
	if err != nil {
		ch.Detail = cloud.Printable("euctl -n "+NetworkProperty+": "+err.Error(), 300)
		return ch
	}
	var x, y any
	if json.Unmarshal(got, &x) != nil || json.Unmarshal(cloud.NetworkJSON(c), &y) != nil || !reflect.DeepEqual(x, y) {
		ch.Detail = "Eucalyptus's " + NetworkProperty + " is not the description's network.json: apply it with midobake firstboot --apply-network"
		return ch
	}
	ch.OK, ch.Detail = true, NetworkProperty+" is the description's network.json"
	return ch
}
