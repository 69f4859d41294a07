// Package midonet talks to what MidoNet is made of: its ZooKeeper (sessions, whether a server
// serves, the NSDB settings, and midobake's own announcements beside MidoNet's tree) and its
// REST API (tunnel zones, hosts, members). The hook and the enrolment service both use it.
package midonet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/midobake/midobake/system"
)

// MidoNet's REST API media types. Tunnel zone members accept only the vendor types (MidoNet's
// TunnelZoneHostResource), so every request names them.
const (
	MediaTunnelZone               = "application/vnd.org.midonet.TunnelZone-v1+json"
	MediaTunnelZoneCollection     = "application/vnd.org.midonet.collection.TunnelZone-v1+json"
	MediaTunnelZoneHost           = "application/vnd.org.midonet.TunnelZoneHost-v1+json"
	MediaTunnelZoneHostCollection = "application/vnd.org.midonet.collection.TunnelZoneHost-v1+json"
	MediaHostCollection           = "application/vnd.org.midonet.collection.Host-v3+json"
)

// DefaultAPI is where Eucalyptus expects MidoNet's API: on the CLC, loopback only.
const DefaultAPI = "http://127.0.0.1:8080/midonet-api"

type TunnelZone struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type Host struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
	Alive     bool     `json:"alive"`
}

type Member struct {
	HostID    string `json:"hostId"`
	IPAddress string `json:"ipAddress"`
}

// Client talks to MidoNet's REST API. Connection failures and 5xx answers are system.Retryable:
// midonet-cluster takes a while to start and may restart.
type Client struct {
	base string
	http *http.Client
}

// NewClient is a client of the API at base (DefaultAPI on the CLC).
func NewClient(base string, client *http.Client) *Client { return &Client{base: base, http: client} }

// Base is the API's address, for messages.
func (c *Client) Base() string { return c.base }

type httpStatusError struct {
	method, url string
	status      int
	body        string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.url, e.status, strings.TrimSpace(e.body))
}

func (c *Client) do(ctx context.Context, method, path, accept, contentType string, body, out any) (int, error) {
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
		return 0, system.Retryable(fmt.Errorf("MidoNet API at %s: %w", c.base, err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, system.Retryable(fmt.Errorf("%s %s: reading the answer: %w", method, path, err))
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, system.Retryable(&httpStatusError{method, path, resp.StatusCode, string(data)})
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

func (c *Client) TunnelZones(ctx context.Context) ([]TunnelZone, error) {
	var zones []TunnelZone
	_, err := c.do(ctx, "GET", "/tunnel_zones", MediaTunnelZoneCollection, "", nil, &zones)
	return zones, err
}

func (c *Client) CreateTunnelZone(ctx context.Context, tz TunnelZone) (int, error) {
	return c.do(ctx, "POST", "/tunnel_zones", "", MediaTunnelZone, tz, nil)
}

func (c *Client) Hosts(ctx context.Context) ([]Host, error) {
	var hosts []Host
	_, err := c.do(ctx, "GET", "/hosts", MediaHostCollection, "", nil, &hosts)
	return hosts, err
}

func (c *Client) Members(ctx context.Context, zoneID string) ([]Member, error) {
	var ms []Member
	_, err := c.do(ctx, "GET", "/tunnel_zones/"+zoneID+"/hosts", MediaTunnelZoneHostCollection, "", nil, &ms)
	return ms, err
}

func (c *Client) AddMember(ctx context.Context, zoneID string, m Member) (int, error) {
	return c.do(ctx, "POST", "/tunnel_zones/"+zoneID+"/hosts", "", MediaTunnelZoneHost, m, nil)
}

func (c *Client) RemoveMember(ctx context.Context, zoneID, hostID string) (int, error) {
	return c.do(ctx, "DELETE", "/tunnel_zones/"+zoneID+"/hosts/"+hostID, "", "", nil, nil)
}
