package firstboot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MidoNet's REST API media types. Tunnel zone members accept only the vendor types (MidoNet's
// TunnelZoneHostResource), so every request names them.
const (
	mtTunnelZone            = "application/vnd.org.midonet.TunnelZone-v1+json"
	mtTunnelZoneCollection  = "application/vnd.org.midonet.collection.TunnelZone-v1+json"
	mtTunnelZoneHost        = "application/vnd.org.midonet.TunnelZoneHost-v1+json"
	mtTunnelZoneHostCollect = "application/vnd.org.midonet.collection.TunnelZoneHost-v1+json"
	mtHostCollection        = "application/vnd.org.midonet.collection.Host-v3+json"
)

// DefaultAPI is where Eucalyptus expects MidoNet's API: on the CLC, loopback only.
const DefaultAPI = "http://127.0.0.1:8080/midonet-api"

type tunnelZone struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type midoHost struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
	Alive     bool     `json:"alive"`
}

type member struct {
	HostID    string `json:"hostId"`
	IPAddress string `json:"ipAddress"`
}

// apiClient talks to MidoNet's REST API. Connection failures and 5xx answers are retryable:
// midonet-cluster takes a while to start and may restart.
type apiClient struct {
	base string
	http *http.Client
}

type httpStatusError struct {
	method, url string
	status      int
	body        string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.url, e.status, strings.TrimSpace(e.body))
}

func (c *apiClient) do(ctx context.Context, method, path, accept, contentType string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, retryable(fmt.Errorf("MidoNet API at %s: %w", c.base, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, retryable(fmt.Errorf("%s %s: reading the answer: %w", method, path, err))
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, retryable(&httpStatusError{method, path, resp.StatusCode, string(data)})
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, &httpStatusError{method, path, resp.StatusCode, string(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *apiClient) tunnelZones(ctx context.Context) ([]tunnelZone, error) {
	var zones []tunnelZone
	_, err := c.do(ctx, "GET", "/tunnel_zones", mtTunnelZoneCollection, "", nil, &zones)
	return zones, err
}

func (c *apiClient) createTunnelZone(ctx context.Context, tz tunnelZone) (int, error) {
	return c.do(ctx, "POST", "/tunnel_zones", "", mtTunnelZone, tz, nil)
}

func (c *apiClient) hosts(ctx context.Context) ([]midoHost, error) {
	var hosts []midoHost
	_, err := c.do(ctx, "GET", "/hosts", mtHostCollection, "", nil, &hosts)
	return hosts, err
}

func (c *apiClient) members(ctx context.Context, zoneID string) ([]member, error) {
	var ms []member
	_, err := c.do(ctx, "GET", "/tunnel_zones/"+zoneID+"/hosts", mtTunnelZoneHostCollect, "", nil, &ms)
	return ms, err
}

func (c *apiClient) addMember(ctx context.Context, zoneID string, m member) (int, error) {
	return c.do(ctx, "POST", "/tunnel_zones/"+zoneID+"/hosts", "", mtTunnelZoneHost, m, nil)
}

func (c *apiClient) removeMember(ctx context.Context, zoneID, hostID string) (int, error) {
	return c.do(ctx, "DELETE", "/tunnel_zones/"+zoneID+"/hosts/"+hostID, "", "", nil, nil)
}
