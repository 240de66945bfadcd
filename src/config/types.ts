/**
 * The validated config model. Field names are the TOML keys (snake_case) and values keep their
 * TOML form (durations and sizes stay strings such as "10s"), so the admin API can return them
 * as they are; builders turn them into numbers with core/duration.ts when a snapshot is built.
 * Nothing outside src/config sees raw TOML: everything downstream receives these types.
 */

/** A parsed TOML table (smol-toml returns null-prototype objects). */
export type RawTable = Record<string, unknown>

export const CONFIG_CATEGORIES = [
  'basic',
  'servers',
  'locations',
  'upstreams',
  'plugins',
  'certificates',
  'storages',
] as const
export type ConfigCategory = (typeof CONFIG_CATEGORIES)[number]

export interface BasicConf {
  readonly name?: string
  readonly error_template?: string
  readonly pid_file?: string
  readonly error_log?: string
  readonly upgrade_sock?: string
  readonly user?: string
  readonly group?: string
  readonly threads?: number
  readonly work_stealing?: boolean
  readonly listener_tasks_per_fd?: number
  readonly grace_period?: string
  readonly graceful_shutdown_timeout?: string
  readonly upstream_keepalive_pool_size?: number
  readonly trusted_proxies?: readonly string[]
  readonly webhook?: string
  readonly webhook_type?: string
  readonly webhook_notifications?: readonly string[]
  readonly log_level?: string
  readonly log_buffered_size?: string
  readonly log_format_json?: boolean
  readonly sentry?: string
  readonly pyroscope?: string
  readonly auto_restart_check_interval?: string
  readonly log_compress_algorithm?: string
  readonly log_compress_level?: number
  readonly log_compress_days_ago?: number
  readonly log_compress_time_point_hour?: number
  /** pingap-ts: where the implicit ACME HTTP-01 server listens (docs/acme.md). */
  readonly acme_challenge_addr?: string
  /** pingap-ts: admin users as `name:<scrypt hash>` (docs/admin.md). */
  readonly admin_users?: readonly string[]
}

export interface ServerConf {
  readonly addr: string
  readonly access_log?: string
  readonly locations?: readonly string[]
  readonly threads?: number
  readonly tls_cipher_list?: string
  readonly tls_ciphersuites?: string
  readonly tls_min_version?: string
  readonly tls_max_version?: string
  readonly global_certificates?: boolean
  readonly enabled_h2?: boolean
  readonly tcp_idle?: string
  readonly tcp_interval?: string
  readonly tcp_probe_count?: number
  readonly tcp_user_timeout?: string
  readonly downstream_read_timeout?: string
  readonly downstream_write_timeout?: string
  readonly tcp_fastopen?: number
  readonly reuse_port?: boolean
  readonly prometheus_metrics?: string
  readonly otlp_exporter?: string
  readonly includes?: readonly string[]
  readonly modules?: readonly string[]
  readonly enable_server_timing?: boolean
  readonly remark?: string
  // pingap-ts additions (hostile-input limits, docs/configuration.md).
  readonly header_read_timeout?: string
  readonly body_read_timeout?: string
  readonly keepalive_timeout?: string
  readonly max_url_length?: string
  readonly max_header_size?: string
  readonly max_header_count?: number
  readonly max_connections?: number
}

export interface LocationConf {
  readonly upstream?: string
  readonly path?: string
  readonly host?: string
  readonly match_headers?: readonly string[]
  readonly match_query?: readonly string[]
  readonly match_cookies?: readonly string[]
  readonly proxy_set_headers?: readonly string[]
  readonly proxy_add_headers?: readonly string[]
  readonly rewrite?: string
  readonly weight?: number
  readonly plugins?: readonly string[]
  readonly client_max_body_size?: string
  readonly max_processing?: number
  readonly includes?: readonly string[]
  readonly grpc_web?: boolean
  readonly enable_reverse_proxy_headers?: boolean
  readonly max_retries?: number
  readonly max_retry_window?: string
  readonly remark?: string
}

export interface UpstreamConf {
  readonly addrs: readonly string[]
  readonly discovery?: string
  readonly dns_server?: string
  readonly dns_domain?: string
  readonly dns_search?: string
  readonly update_frequency?: string
  readonly algo?: string
  readonly sni?: string
  readonly verify_cert?: boolean
  readonly health_check?: string
  readonly ipv4_only?: boolean
  readonly enable_tracer?: boolean
  readonly enable_backend_stats?: boolean
  readonly backend_failure_status_code?: string
  readonly backend_stats_interval?: string
  readonly circuit_break_max_consecutive_failures?: number
  readonly circuit_break_max_failure_percent?: number
  readonly circuit_break_min_requests_threshold?: number
  readonly circuit_break_half_open_consecutive_success_threshold?: number
  readonly circuit_break_open_duration?: string
  readonly alpn?: string
  readonly max_h2_streams?: number
  readonly connection_timeout?: string
  readonly total_connection_timeout?: string
  readonly read_timeout?: string
  readonly idle_timeout?: string
  readonly write_timeout?: string
  readonly tcp_idle?: string
  readonly tcp_interval?: string
  readonly tcp_probe_count?: number
  readonly tcp_user_timeout?: string
  readonly tcp_recv_buf?: string
  readonly tcp_fast_open?: boolean
  readonly includes?: readonly string[]
  readonly remark?: string
}

/** A `[plugins.<name>]` table: `category` plus free-form options the plugin factory validates. */
export interface PluginConf {
  readonly category: string
  readonly step?: string
  readonly remark?: string
  readonly [option: string]: unknown
}

export interface CertificateConf {
  readonly domains?: string
  readonly tls_cert?: string
  readonly tls_key?: string
  readonly is_default?: boolean
  readonly is_ca?: boolean
  readonly acme?: string
  readonly dns_challenge?: boolean
  readonly dns_provider?: string
  readonly dns_service_url?: string
  readonly buffer_days?: number
  readonly remark?: string
}

export interface StorageConf {
  readonly category?: string
  readonly value?: string
  readonly secret?: string
  readonly remark?: string
  readonly created_at?: number
}

/** The whole validated configuration, includes expanded. */
export interface PingapConfig {
  readonly basic: BasicConf
  readonly servers: Readonly<Record<string, ServerConf>>
  readonly locations: Readonly<Record<string, LocationConf>>
  readonly upstreams: Readonly<Record<string, UpstreamConf>>
  readonly plugins: Readonly<Record<string, PluginConf>>
  readonly certificates: Readonly<Record<string, CertificateConf>>
  readonly storages: Readonly<Record<string, StorageConf>>
  /** hashConfig() of everything above; equal hashes mean nothing changed. */
  readonly hash: string
}

/** Where each item came from: `"locations.api"` (or `"basic"`) → file path, for error messages. */
export type SourceMap = ReadonlyMap<string, string>

/** The raw document a store read, with the file of each item. */
export interface LoadedConfig {
  readonly raw: RawTable
  readonly sources: SourceMap
}
