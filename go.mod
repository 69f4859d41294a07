module github.com/midobake/midobake

go 1.26.8

require gopkg.in/yaml.v3 v3.0.1

require gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c // indirect
