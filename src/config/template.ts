/** The starter configuration printed by `pingap-ts --template` (spec §1.13). */

/** A minimal working config: one upstream, one location, one server. */
export const TEMPLATE_TOML = `[basic]
name = "pingap"
log_level = "INFO"
pid_file = "/run/pingap.pid"

[upstreams.httpUpstream]
addrs = ["127.0.0.1:5000"]

[locations.httpLocation]
path = "/"
upstream = "httpUpstream"

[servers.httpServer]
addr = "0.0.0.0:80"
access_log = "combined"
locations = ["httpLocation"]
`
