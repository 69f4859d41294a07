package roles

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
)

// cassandra: a node of the NSDB's Cassandra, from DataStax's repository (dsc22). The hook
// applies the settings file to the packaged cassandra.yaml; tmpfiles.d keeps its run
// directory across boots.
func init() {
	register(Role{Name: cloud.RoleCassandra, In: func(p Plan) bool { return p.Has(cloud.RoleCassandra) },
		Repos:    []string{"datastax"},
		Needs:    &nsdbNeed,
		Packages: []string{"dsc22"},
		Files: []FileSpec{
			{Template: "cassandra-settings.yaml.tmpl", Path: CassandraSettingsPath, Check: cassandraSettingsProblem},
			{Template: "cassandra-tmpfiles.conf.tmpl", Path: CassandraTmpfilesPath},
		},
		Units:   []string{UnitCassandra},
		Support: []SupportFile{{CassandraSettingsPath, "midobake: Cassandra's settings"}, {CassandraYAMLPath, "Cassandra"}},
		Listens: func(top Topology) []Listen {
			// CQL's clients: the CLC and every Midolman host, and the other nodes.
			clients := append(append(addresses(top.Agents, 0), addresses(clcs(top), 0)...), addresses(top.Cassandra, 0)...)
			return []Listen{
				{Port: CassandraStoragePort, Proto: "tcp", Unit: UnitCassandra, Set: "cassandra-peers", From: addresses(top.Cassandra, 0)},
				{Port: CassandraJMXPort, Proto: "tcp", Unit: UnitCassandra}, // nodetool, on the host itself
				{Port: CassandraCQLPort, Proto: "tcp", Unit: UnitCassandra, Set: "cassandra-clients", From: clients},
			}
		},
	})
}

// cassandraSettingsProblem: every key of the settings is one Cassandra 2.2 reads. Cassandra
// 2.2 refuses to start on a cassandra.yaml key it does not know ("Invalid yaml. Please remove
// properties [...]": YamlConfigurationLoader's MissingPropertiesChecker), so a key of a later
// Cassandra in a template override would stop every NSDB host at its first start.
func cassandraSettingsProblem(content []byte) (int, string) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return 0, "not YAML: " + err.Error()
	}
	if len(doc.Content) == 0 {
		return 0, ""
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return m.Line, "not a mapping of cassandra.yaml keys"
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Value == "seeds" || slices.Contains(cassandra22Keys, k.Value) {
			continue
		}
		hint := ""
		if near := cloud.Closest(k.Value, cassandra22Keys); near != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", near)
		}
		return k.Line, fmt.Sprintf("key %s is not one Cassandra 2.2 knows%s: it refuses to start on it. Use the keys of 2.2's cassandra.yaml (%d, from %s to %s), and seeds (midobake's, for the seed provider)",
			cloud.Printable(k.Value, 80), hint, len(cassandra22Keys), cassandra22Keys[0], cassandra22Keys[len(cassandra22Keys)-1])
	}
	return 0, ""
}

// cassandra22Keys are the fields of Cassandra 2.2's Config (src/java/org/apache/cassandra/
// config/Config.java at cassandra-2.2.0): what every 2.2 release reads from cassandra.yaml
// (later 2.2 releases only add keys).
var cassandra22Keys = []string{
	"authenticator", "authorizer", "auto_bootstrap", "auto_snapshot",
	"batch_size_fail_threshold_in_kb", "batch_size_warn_threshold_in_kb",
	"batchlog_replay_throttle_in_kb", "broadcast_address", "broadcast_rpc_address",
	"cas_contention_timeout_in_ms", "client_encryption_options", "cluster_name",
	"column_index_size_in_kb", "commit_failure_policy", "commitlog_compression",
	"commitlog_directory", "commitlog_max_compression_buffers_in_pool",
	"commitlog_periodic_queue_size", "commitlog_segment_size_in_mb", "commitlog_sync",
	"commitlog_sync_batch_window_in_ms", "commitlog_sync_period_in_ms",
	"commitlog_total_space_in_mb", "compaction_large_partition_warning_threshold_mb",
	"compaction_throughput_mb_per_sec", "concurrent_compactors", "concurrent_counter_writes",
	"concurrent_reads", "concurrent_replicates", "concurrent_writes",
	"counter_cache_keys_to_save", "counter_cache_save_period", "counter_cache_size_in_mb",
	"counter_write_request_timeout_in_ms", "cross_node_timeout", "data_file_directories",
	"disk_access_mode", "disk_failure_policy", "dynamic_snitch",
	"dynamic_snitch_badness_threshold", "dynamic_snitch_reset_interval_in_ms",
	"dynamic_snitch_update_interval_in_ms", "enable_user_defined_functions", "encryption_options",
	"endpoint_snitch", "file_cache_size_in_mb", "hinted_handoff_enabled",
	"hinted_handoff_enabled_by_dc", "hinted_handoff_enabled_global",
	"hinted_handoff_throttle_in_kb", "incremental_backups", "index_interval",
	"index_summary_capacity_in_mb", "index_summary_resize_interval_in_minutes", "initial_token",
	"inter_dc_stream_throughput_outbound_megabits_per_sec", "inter_dc_tcp_nodelay",
	"internode_authenticator", "internode_compression", "internode_recv_buff_size_in_bytes",
	"internode_send_buff_size_in_bytes", "key_cache_keys_to_save", "key_cache_save_period",
	"key_cache_size_in_mb", "listen_address", "listen_interface", "listen_interface_prefer_ipv6",
	"max_hint_window_in_ms", "max_hints_delivery_threads", "max_streaming_retries",
	"memory_allocator", "memtable_allocation_type", "memtable_cleanup_threshold",
	"memtable_flush_writers", "memtable_heap_space_in_mb", "memtable_offheap_space_in_mb",
	"native_transport_max_concurrent_connections",
	"native_transport_max_concurrent_connections_per_ip", "native_transport_max_frame_size_in_mb",
	"native_transport_max_threads", "native_transport_port", "num_tokens",
	"otc_coalescing_strategy", "otc_coalescing_window_us", "partitioner",
	"permissions_cache_max_entries", "permissions_update_interval_in_ms",
	"permissions_validity_in_ms", "phi_convict_threshold", "range_request_timeout_in_ms",
	"read_request_timeout_in_ms", "request_scheduler", "request_scheduler_id",
	"request_scheduler_options", "request_timeout_in_ms", "role_manager",
	"roles_cache_max_entries", "roles_update_interval_in_ms", "roles_validity_in_ms",
	"row_cache_class_name", "row_cache_keys_to_save", "row_cache_save_period",
	"row_cache_size_in_mb", "rpc_address", "rpc_interface", "rpc_interface_prefer_ipv6",
	"rpc_keepalive", "rpc_listen_backlog", "rpc_max_threads", "rpc_min_threads", "rpc_port",
	"rpc_recv_buff_size_in_bytes", "rpc_send_buff_size_in_bytes", "rpc_server_type",
	"saved_caches_directory", "seed_provider", "server_encryption_options",
	"snapshot_before_compaction", "ssl_storage_port", "sstable_preemptive_open_interval_in_mb",
	"start_native_transport", "start_rpc", "storage_port",
	"stream_throughput_outbound_megabits_per_sec", "streaming_socket_timeout_in_ms",
	"thrift_framed_transport_size_in_mb", "thrift_max_message_length_in_mb",
	"tombstone_failure_threshold", "tombstone_warn_threshold", "tracetype_query_ttl",
	"tracetype_repair_ttl", "trickle_fsync", "trickle_fsync_interval_in_kb",
	"truncate_request_timeout_in_ms", "windows_timer_interval", "write_request_timeout_in_ms",
}
