/**
 * Every effective default in one place: what pingap-ts does when a key is unset (spec §1.5–§1.11,
 * plus the pingap-ts server limits). Builders import these instead of repeating literals.
 * Durations and sizes keep their TOML form, as in the config model.
 */

/** `[basic]` defaults. */
export const BASIC_DEFAULTS = {
  name: 'pingap',
  threads: 1,
  work_stealing: true,
  listener_tasks_per_fd: 1,
  grace_period: '5m',
  graceful_shutdown_timeout: '5s',
  upstream_keepalive_pool_size: 128,
  upgrade_sock: '/tmp/pingap_upgrade.sock',
  webhook_type: 'normal',
  log_level: 'info',
  log_format_json: false,
  auto_restart_check_interval: '90s',
  log_compress_level: 9,
  log_compress_days_ago: 7,
  log_compress_time_point_hour: 0,
} as const

/** Where the PID file goes when `pid_file` is unset: the first writable directory wins. */
export const PID_FILE_CANDIDATES = [
  '/run/pingap.pid',
  '/var/run/pingap.pid',
  '/tmp/pingap.pid',
] as const

/** `[servers.<name>]` defaults, including the pingap-ts limits against hostile clients. */
export const SERVER_DEFAULTS = {
  locations: [] as readonly string[],
  global_certificates: false,
  enabled_h2: false,
  enable_server_timing: false,
  // Limits close to nginx's defaults (docs/configuration.md, "Server limits").
  header_read_timeout: '60s',
  body_read_timeout: '60s',
  keepalive_timeout: '75s',
  /** The write-idle timeout of a response to a slow client. */
  downstream_write_timeout: '60s',
  max_url_length: '8KiB',
  max_header_size: '16KiB',
  max_header_count: 100,
  /** 0 = no limit. */
  max_connections: 0,
} as const

/** `[locations.<name>]` defaults. */
export const LOCATION_DEFAULTS = {
  /** 0 = no limit. */
  client_max_body_size: '0',
  /** 0 = no limit. */
  max_processing: 0,
  grpc_web: false,
  enable_reverse_proxy_headers: false,
  /** Unset = no retry. */
  max_retries: 0,
} as const

/** `[upstreams.<name>]` defaults. */
export const UPSTREAM_DEFAULTS = {
  algo: 'round_robin',
  /** Discovery interval for `dns` and `docker`. */
  update_frequency: '60s',
  verify_cert: true,
  ipv4_only: false,
  enable_tracer: false,
  enable_backend_stats: false,
  backend_stats_interval: '60s',
  circuit_break_max_consecutive_failures: 0,
  circuit_break_max_failure_percent: 0,
  circuit_break_min_requests_threshold: 10,
  circuit_break_half_open_consecutive_success_threshold: 5,
  circuit_break_open_duration: '10s',
  alpn: 'h1',
  max_h2_streams: 1,
  idle_timeout: '60s',
  /** Backend port when an `addrs` entry has none: 80, or 443 when `sni` turns TLS on. */
  http_port: 80,
  https_port: 443,
  weight: 1,
} as const

/** `[certificates.<name>]` defaults. */
export const CERTIFICATE_DEFAULTS = {
  is_default: false,
  is_ca: false,
  dns_challenge: false,
  /** `buffer_days = 0` means: renew 2 days before expiry, warn 7 days before. */
  renew_buffer_days: 2,
  warn_buffer_days: 7,
} as const

/**
 * Plugin names that always exist without a `[plugins.*]` table, so locations may list them
 * (spec §5; e.g. `plugins = ["pingap:requestId"]`).
 */
export const BUILTIN_PLUGIN_NAMES = [
  'pingap:compression',
  'pingap:compressionUpstream',
  'pingap:ping',
  'pingap:stats',
  'pingap:requestId',
  'pingap:acceptEncodingAdjustment',
] as const
