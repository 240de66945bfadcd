/**
 * The valid keys of every config table and the kind of value each one takes (spec §1.5–§1.11).
 * parse.ts checks raw TOML against these lists; docs/configuration.md documents the same keys.
 */
import type { ConfigCategory } from './types.ts'

/** The kinds of value a key can hold; durations and sizes are strings parsed by core/duration.ts. */
export type KeyKind = 'string' | 'bool' | 'int' | 'duration' | 'bytesize' | 'string[]' | 'table[]'

/** One key of a table: its kind and, for ints and enumerations, the allowed values. */
export interface KeySpec {
  readonly kind: KeyKind
  readonly min?: number
  readonly max?: number
  /** Allowed values of a string key (compared as written). */
  readonly oneOf?: readonly string[]
  /** The key must be present (and, for strings, non-empty). */
  readonly required?: boolean
}

/** The keys of one kind of table. `open` tables (plugins) accept keys that are not listed. */
export interface TableSchema {
  readonly keys: Readonly<Record<string, KeySpec>>
  readonly open?: boolean
}

const str: KeySpec = { kind: 'string' }
const bool: KeySpec = { kind: 'bool' }
const dur: KeySpec = { kind: 'duration' }
const size: KeySpec = { kind: 'bytesize' }
const list: KeySpec = { kind: 'string[]' }
const uint: KeySpec = { kind: 'int', min: 0 }
const U16 = 65_535
const U32 = 4_294_967_295
const I32 = 2_147_483_647

/** `[basic]` (spec §1.5). */
export const BASIC_SCHEMA: TableSchema = {
  keys: {
    name: str,
    error_template: str,
    pid_file: str,
    error_log: str,
    upgrade_sock: str,
    user: str,
    group: str,
    threads: uint,
    work_stealing: bool,
    listener_tasks_per_fd: { kind: 'int', min: 1 },
    grace_period: dur,
    graceful_shutdown_timeout: dur,
    upstream_keepalive_pool_size: uint,
    trusted_proxies: list,
    webhook: str,
    webhook_type: str,
    webhook_notifications: list,
    log_level: str,
    log_buffered_size: size,
    log_format_json: bool,
    sentry: str,
    pyroscope: str,
    auto_restart_check_interval: dur,
    log_compress_algorithm: str,
    log_compress_level: { kind: 'int', min: 0, max: 22 },
    log_compress_days_ago: uint,
    log_compress_time_point_hour: { kind: 'int', min: 0, max: 23 },
    acme_challenge_addr: str,
    admin_users: list,
  },
}

/** `[servers.<name>]` (spec §1.6) plus the pingap-ts limit keys. */
export const SERVER_SCHEMA: TableSchema = {
  keys: {
    addr: { kind: 'string', required: true },
    access_log: str,
    locations: list,
    threads: uint,
    tls_cipher_list: str,
    tls_ciphersuites: str,
    tls_min_version: str,
    tls_max_version: str,
    global_certificates: bool,
    enabled_h2: bool,
    tcp_idle: dur,
    tcp_interval: dur,
    tcp_probe_count: uint,
    tcp_user_timeout: dur,
    downstream_read_timeout: dur,
    downstream_write_timeout: dur,
    tcp_fastopen: uint,
    reuse_port: bool,
    prometheus_metrics: str,
    otlp_exporter: str,
    includes: list,
    modules: list,
    enable_server_timing: bool,
    remark: str,
    // pingap-ts additions: limits against hostile clients (docs/configuration.md).
    header_read_timeout: dur,
    body_read_timeout: dur,
    keepalive_timeout: dur,
    max_url_length: size,
    max_header_size: size,
    max_header_count: { kind: 'int', min: 1 },
    max_connections: uint,
  },
}

/** `[locations.<name>]` (spec §1.7). */
export const LOCATION_SCHEMA: TableSchema = {
  keys: {
    upstream: str,
    path: str,
    host: str,
    match_headers: list,
    match_query: list,
    match_cookies: list,
    proxy_set_headers: list,
    proxy_add_headers: list,
    rewrite: str,
    weight: { kind: 'int', min: 0, max: U16 },
    plugins: list,
    client_max_body_size: size,
    max_processing: { kind: 'int', min: 0, max: I32 },
    includes: list,
    grpc_web: bool,
    enable_reverse_proxy_headers: bool,
    max_retries: { kind: 'int', min: 0, max: 255 },
    max_retry_window: dur,
    remark: str,
  },
}

/** The values `discovery` accepts; empty means static. */
export const DISCOVERY_KINDS = ['', 'static', 'dns', 'docker', 'transparent'] as const

/** `[upstreams.<name>]` (spec §1.8). */
export const UPSTREAM_SCHEMA: TableSchema = {
  keys: {
    addrs: { kind: 'string[]', required: true },
    discovery: { kind: 'string', oneOf: DISCOVERY_KINDS },
    dns_server: str,
    dns_domain: str,
    dns_search: str,
    update_frequency: dur,
    algo: str,
    sni: str,
    verify_cert: bool,
    health_check: str,
    ipv4_only: bool,
    enable_tracer: bool,
    enable_backend_stats: bool,
    backend_failure_status_code: str,
    backend_stats_interval: dur,
    circuit_break_max_consecutive_failures: { kind: 'int', min: 0, max: U32 },
    circuit_break_max_failure_percent: { kind: 'int', min: 0, max: 100 },
    circuit_break_min_requests_threshold: uint,
    circuit_break_half_open_consecutive_success_threshold: { kind: 'int', min: 0, max: U32 },
    circuit_break_open_duration: dur,
    alpn: str,
    max_h2_streams: { kind: 'int', min: 1 },
    connection_timeout: dur,
    total_connection_timeout: dur,
    read_timeout: dur,
    idle_timeout: dur,
    write_timeout: dur,
    tcp_idle: dur,
    tcp_interval: dur,
    tcp_probe_count: { kind: 'int', min: 0, max: 16 },
    tcp_user_timeout: dur,
    tcp_recv_buf: size,
    tcp_fast_open: bool,
    includes: list,
    remark: str,
  },
}

/** `[plugins.<name>]` (spec §1.9): only these keys are checked here, factories check the rest. */
export const PLUGIN_SCHEMA: TableSchema = {
  open: true,
  keys: {
    category: { kind: 'string', required: true },
    step: str,
    remark: str,
  },
}

/** `[certificates.<name>]` (spec §1.10). */
export const CERTIFICATE_SCHEMA: TableSchema = {
  keys: {
    domains: str,
    tls_cert: str,
    tls_key: str,
    is_default: bool,
    is_ca: bool,
    acme: str,
    dns_challenge: bool,
    dns_provider: str,
    dns_service_url: str,
    buffer_days: { kind: 'int', min: 0, max: U16 },
    remark: str,
  },
}

/** `[storages.<name>]` (spec §1.11). */
export const STORAGE_SCHEMA: TableSchema = {
  keys: {
    category: { kind: 'string', oneOf: ['config', 'secret'] },
    value: str,
    secret: str,
    remark: str,
    created_at: uint,
  },
}

/** The schema of each config category. */
export const SCHEMAS: Readonly<Record<ConfigCategory, TableSchema>> = {
  basic: BASIC_SCHEMA,
  servers: SERVER_SCHEMA,
  locations: LOCATION_SCHEMA,
  upstreams: UPSTREAM_SCHEMA,
  plugins: PLUGIN_SCHEMA,
  certificates: CERTIFICATE_SCHEMA,
  storages: STORAGE_SCHEMA,
}

/** Categories whose items may carry `includes` (spec §1.4). */
export const INCLUDE_CATEGORIES = ['servers', 'locations', 'upstreams'] as const
