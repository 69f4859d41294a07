module github.com/midobake/midobake

go 1.26.8

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/flosch/pongo2/v6 v6.0.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c // indirect
)
