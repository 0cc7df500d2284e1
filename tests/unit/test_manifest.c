/*
 * test_manifest.c — the manifest model: valid files and their defaults,
 * one fixture per kind of error (exact "file:line:col: path: message"),
 * the canonical form and revision, JSON round trips, ${VAR} expansion,
 * diff classes and the field table.
 *
 * Fixtures are under TEST_DATA_DIR/manifest; the tests run from there so
 * that diagnostics name files by short relative paths.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "manifest.h"

/* Helpers. */

static struct manifest *
parse_ok(const char *path)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*s;

	m = manifest_parse_file(path, &d);
	if (m == NULL) {
		s = diags_join(&d);
		print_error("%s\n", s);
		free(s);
	}
	assert_non_null(m);
	assert_int_equal(d.n, 0);
	diags_clear(&d);
	return m;
}

/* Parses a file that must be refused with exactly `want` (diagnostics
 * joined by newlines). */
static void
expect_file_errors(const char *path, const char *want)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*got;

	m = manifest_parse_file(path, &d);
	assert_null(m);
	got = diags_join(&d);
	assert_string_equal(got, want);
	free(got);
	diags_clear(&d);
}

static struct manifest *
yaml_ok(const char *text)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*s;

	m = manifest_parse_yaml(text, strlen(text), "t.yaml", "t", &d);
	if (m == NULL) {
		s = diags_join(&d);
		print_error("%s\n", s);
		free(s);
	}
	assert_non_null(m);
	diags_clear(&d);
	return m;
}

static void
expect_yaml_errors(const char *text, const char *want)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*got;

	m = manifest_parse_yaml(text, strlen(text), "t.yaml", "t", &d);
	assert_null(m);
	got = diags_join(&d);
	assert_string_equal(got, want);
	free(got);
	diags_clear(&d);
}

static void
expect_json_errors(const char *text, const char *want)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	json_error_t	 e;
	json_t		*j;
	char		*got;

	j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(j);
	m = manifest_from_json(j, "t.json", "t", &d);
	json_decref(j);
	assert_null(m);
	got = diags_join(&d);
	assert_string_equal(got, want);
	free(got);
	diags_clear(&d);
}

static char *
revision_of(const struct manifest *m)
{
	char	rev[MANIFEST_REVISION_LEN + 1];

	manifest_revision(m, rev);
	return strdup(rev);
}

static char *
yaml_revision(const char *text)
{
	struct manifest	*m = yaml_ok(text);
	char		*r = revision_of(m);

	manifest_free(m);
	return r;
}

/* Valid manifests. */

static void
test_minimal_defaults(void **state)
{
	struct manifest	*m = parse_ok("good/minimal.yaml");

	(void)state;
	assert_string_equal(m->name, "api");
	assert_int_equal(m->ncommand, 1);
	assert_string_equal(m->command[0], "./api");
	assert_null(m->command[1]);
	assert_null(m->workdir);
	assert_null(m->user);
	assert_null(m->group);
	assert_int_equal(m->nenv, 0);
	assert_int_equal(m->instances, 1);
	assert_int_equal(m->nlisten, 0);
	assert_int_equal(m->port_base, -1);

	assert_int_equal(m->restart.policy, RESTART_ALWAYS);
	assert_int_equal(m->restart.nexit_codes, 1);
	assert_int_equal(m->restart.exit_codes[0], 0);
	assert_int_equal(m->restart.backoff.initial_ms, 100);
	assert_int_equal(m->restart.backoff.max_ms, 30000);
	assert_true(m->restart.backoff.multiplier == 2.0);
	assert_true(m->restart.backoff.jitter == 0.1);
	assert_int_equal(m->restart.backoff.reset_after_ms, 60000);
	assert_int_equal(m->restart.limit.burst, 10);
	assert_int_equal(m->restart.limit.interval_ms, 60000);
	assert_int_equal(m->restart.limit.action, LIMIT_FAIL);

	assert_int_equal(m->stop.signal, SIGTERM);
	assert_int_equal(m->stop.timeout_ms, 10000);
	assert_false(m->readiness.notify);
	assert_int_equal(m->readiness.watchdog_ms, 0);

	assert_int_equal(m->health.startup.type, PROBE_NONE);
	assert_int_equal(m->health.liveness.type, PROBE_NONE);
	assert_int_equal(m->health.readiness.type, PROBE_NONE);

	assert_int_equal(m->deploy.max_surge, 1);
	assert_int_equal(m->deploy.max_unavailable, 0);
	assert_int_equal(m->deploy.min_healthy_time_ms, 0);
	assert_int_equal(m->deploy.healthy_deadline_ms, 300000);
	assert_int_equal(m->deploy.progress_deadline_ms, 600000);
	assert_int_equal(m->deploy.canary, 0);
	assert_true(m->deploy.auto_rollback);
	assert_int_equal(m->deploy.bake_ms, 0);
	assert_int_equal(m->deploy.history, 10);

	assert_int_equal(m->ndepends_on, 0);
	assert_non_null(m->depends_on);		/* NULL-terminated, empty */
	assert_null(m->depends_on[0]);

	assert_int_equal(m->logs.to, LOGS_FILE);
	assert_int_equal(m->logs.max_size, 10 * 1024 * 1024);
	assert_int_equal(m->logs.keep, 5);
	assert_int_equal(m->limits.nofile, 0);
	assert_int_equal(m->limits.memory, 0);
	assert_int_equal(m->limits.pids, 0);
	manifest_free(m);
}

static const char full_canonical[] =
    "{\"command\":[\"./api\",\"--port\",\"${PORT}\",\"--id\","
    "\"${SERVICE}-${INSTANCE}\",\"--level=${LOG_LEVEL}\"],"
    "\"depends_on\":[\"cache\",\"db\"],"
    "\"deploy\":{\"auto_rollback\":false,\"bake\":\"1h30m\",\"canary\":1,"
    "\"healthy_deadline\":\"2m\",\"history\":20,\"max_surge\":2,"
    "\"max_unavailable\":1,\"min_healthy_time\":\"5s\","
    "\"progress_deadline\":\"15m\"},"
    "\"env\":{\"DATA_DIR\":\"/var/lib/${SERVICE}/${INSTANCE}\","
    "\"LOG_LEVEL\":\"info\",\"PRICE\":\"$$5\"},"
    "\"group\":\"www\","
    "\"health\":{\"liveness\":{\"healthy_threshold\":2,\"http\":{\"body\":"
    "\"ok\",\"host\":\"api.local\",\"path\":\"/healthz\",\"port\":"
    "\"${PORT}\",\"status\":\"200-299\"},\"interval\":\"10s\","
    "\"on_unhealthy\":\"none\",\"start_period\":\"15s\",\"timeout\":\"2s\","
    "\"unhealthy_threshold\":5},"
    "\"readiness\":{\"healthy_threshold\":2,\"http\":{\"body\":"
    "\"ok\",\"host\":\"api.local\",\"path\":\"/healthz\",\"port\":"
    "\"${PORT}\",\"status\":\"200-299\"},\"interval\":\"10s\","
    "\"on_unhealthy\":\"none\",\"start_period\":\"15s\",\"timeout\":\"2s\","
    "\"unhealthy_threshold\":5},\"startup\":null},"
    "\"instances\":3,"
    "\"limits\":{\"memory\":\"512M\",\"nofile\":4096,\"pids\":256},"
    "\"listen\":[{\"address\":\"127.0.0.1:8080\",\"name\":\"http\"},"
    "{\"address\":\"unix:/run/api/admin.sock\",\"name\":\"admin\"},"
    "{\"address\":\"[::1]:8443\",\"name\":\"v6\"}],"
    "\"logs\":{\"keep\":3,\"max_size\":\"20M\",\"to\":\"journal\"},"
    "\"name\":\"api\",\"ports\":{\"base\":9000},"
    "\"readiness\":{\"notify\":true,\"watchdog\":\"30s\"},"
    "\"restart\":{\"backoff\":{\"initial\":\"200ms\",\"jitter\":0.25,"
    "\"max\":\"1m\",\"multiplier\":1.5,\"reset_after\":\"2m\"},"
    "\"exit_codes\":[0,2,3],\"limit\":{\"action\":\"slow\",\"burst\":5,"
    "\"interval\":\"30s\"},\"policy\":\"on-failure\"},"
    "\"stop\":{\"signal\":\"SIGINT\",\"timeout\":\"20s\"},"
    "\"user\":\"api\",\"workdir\":\"/srv/api\"}";

static void
test_full(void **state)
{
	struct manifest		*m = parse_ok("good/full.yaml");
	const struct probe	*p;
	char			*c;
	int			 i;

	(void)state;
	assert_string_equal(m->name, "api");
	assert_int_equal(m->ncommand, 6);
	assert_string_equal(m->command[2], "${PORT}");
	assert_null(m->command[6]);
	assert_string_equal(m->workdir, "/srv/api");
	assert_string_equal(m->user, "api");
	assert_string_equal(m->group, "www");
	assert_int_equal(m->nenv, 3);		/* sorted by key */
	assert_string_equal(m->env[0].key, "DATA_DIR");
	assert_string_equal(m->env[0].value, "/var/lib/${SERVICE}/${INSTANCE}");
	assert_string_equal(m->env[1].key, "LOG_LEVEL");
	assert_string_equal(m->env[2].key, "PRICE");
	assert_string_equal(m->env[2].value, "$$5");
	assert_int_equal(m->instances, 3);
	assert_int_equal(m->nlisten, 3);	/* order kept */
	assert_string_equal(m->listen[0].name, "http");
	assert_string_equal(m->listen[0].address, "127.0.0.1:8080");
	assert_string_equal(m->listen[1].address, "unix:/run/api/admin.sock");
	assert_string_equal(m->listen[2].address, "[::1]:8443");
	assert_int_equal(m->port_base, 9000);

	assert_int_equal(m->restart.policy, RESTART_ON_FAILURE);
	assert_int_equal(m->restart.nexit_codes, 3);	/* a sorted set */
	assert_int_equal(m->restart.exit_codes[0], 0);
	assert_int_equal(m->restart.exit_codes[1], 2);
	assert_int_equal(m->restart.exit_codes[2], 3);
	assert_int_equal(m->restart.backoff.initial_ms, 200);
	assert_int_equal(m->restart.backoff.max_ms, 60000);
	assert_true(m->restart.backoff.multiplier == 1.5);
	assert_true(m->restart.backoff.jitter == 0.25);
	assert_int_equal(m->restart.backoff.reset_after_ms, 120000);
	assert_int_equal(m->restart.limit.burst, 5);
	assert_int_equal(m->restart.limit.interval_ms, 30000);
	assert_int_equal(m->restart.limit.action, LIMIT_SLOW);
	assert_int_equal(m->stop.signal, SIGINT);
	assert_int_equal(m->stop.timeout_ms, 20000);
	assert_true(m->readiness.notify);
	assert_int_equal(m->readiness.watchdog_ms, 30000);

	/* The shorthand: liveness and readiness are the same probe. */
	assert_int_equal(m->health.startup.type, PROBE_NONE);
	for (i = 0; i < 2; i++) {
		p = i == 0 ? &m->health.liveness : &m->health.readiness;
		assert_int_equal(p->type, PROBE_HTTP);
		assert_string_equal(p->port, "${PORT}");
		assert_string_equal(p->path, "/healthz");
		assert_string_equal(p->host, "api.local");
		assert_string_equal(p->body, "ok");
		assert_int_equal(p->status_min, 200);
		assert_int_equal(p->status_max, 299);
		assert_int_equal(p->interval_ms, 10000);
		assert_int_equal(p->timeout_ms, 2000);
		assert_int_equal(p->start_period_ms, 15000);
		assert_int_equal(p->healthy_threshold, 2);
		assert_int_equal(p->unhealthy_threshold, 5);
		assert_false(p->on_unhealthy_restart);
	}
	assert_ptr_not_equal(m->health.liveness.port, m->health.readiness.port);

	assert_int_equal(m->deploy.max_surge, 2);
	assert_int_equal(m->deploy.max_unavailable, 1);
	assert_int_equal(m->deploy.min_healthy_time_ms, 5000);
	assert_int_equal(m->deploy.healthy_deadline_ms, 120000);
	assert_int_equal(m->deploy.progress_deadline_ms, 900000);
	assert_int_equal(m->deploy.canary, 1);
	assert_false(m->deploy.auto_rollback);
	assert_int_equal(m->deploy.bake_ms, 5400000);
	assert_int_equal(m->deploy.history, 20);
	assert_int_equal(m->ndepends_on, 2);		/* sorted */
	assert_string_equal(m->depends_on[0], "cache");
	assert_string_equal(m->depends_on[1], "db");
	assert_null(m->depends_on[2]);
	assert_int_equal(m->logs.to, LOGS_JOURNAL);
	assert_int_equal(m->logs.max_size, 20 * 1024 * 1024);
	assert_int_equal(m->logs.keep, 3);
	assert_int_equal(m->limits.nofile, 4096);
	assert_int_equal(m->limits.memory, 512 * 1024 * 1024);
	assert_int_equal(m->limits.pids, 256);

	c = manifest_canonical(m);
	assert_string_equal(c, full_canonical);
	free(c);
	manifest_free(m);
}

static void
test_long_health(void **state)
{
	struct manifest		*m = parse_ok("good/long-health.yaml");
	const struct probe	*p;

	(void)state;
	assert_string_equal(m->name, "long-health");	/* from the file */
	p = &m->health.startup;
	assert_int_equal(p->type, PROBE_EXEC);
	assert_int_equal(p->ncommand, 2);
	assert_string_equal(p->command[0], "./warm-check");
	assert_string_equal(p->command[1], "${SERVICE}");
	assert_null(p->command[2]);
	assert_int_equal(p->interval_ms, 1000);
	assert_int_equal(p->timeout_ms, 1000);
	assert_int_equal(p->start_period_ms, 0);
	assert_int_equal(p->healthy_threshold, 1);
	assert_int_equal(p->unhealthy_threshold, 30);
	assert_true(p->on_unhealthy_restart);

	p = &m->health.liveness;
	assert_int_equal(p->type, PROBE_TCP);
	assert_string_equal(p->port, "${PORT}");
	assert_string_equal(p->host, "127.0.0.1");
	assert_null(p->path);
	assert_int_equal(p->interval_ms, 5000);
	assert_int_equal(p->timeout_ms, 1000);
	assert_int_equal(p->unhealthy_threshold, 3);

	p = &m->health.readiness;
	assert_int_equal(p->type, PROBE_HTTP);
	assert_string_equal(p->port, "8081");
	assert_string_equal(p->path, "/ready");
	assert_string_equal(p->host, "api.local");
	assert_string_equal(p->body, "ok");
	assert_int_equal(p->status_min, 204);
	assert_int_equal(p->status_max, 204);
	manifest_free(m);
}

static void
test_http_probe_defaults(void **state)
{
	struct manifest	*m = yaml_ok("command: [x]\n"
	    "health: {http: {port: 8080}}\n");

	(void)state;
	assert_int_equal(m->health.liveness.type, PROBE_HTTP);
	assert_string_equal(m->health.liveness.port, "8080");
	assert_string_equal(m->health.liveness.path, "/");
	assert_string_equal(m->health.liveness.host, "127.0.0.1");
	assert_null(m->health.liveness.body);
	assert_int_equal(m->health.liveness.status_min, 200);
	assert_int_equal(m->health.liveness.status_max, 399);
	assert_int_equal(m->health.readiness.type, PROBE_HTTP);
	manifest_free(m);
}

static void
test_yaml_scalars(void **state)
{
	struct manifest	*m;

	(void)state;
	/* Plain scalars take the type of their field; null is the default. */
	m = yaml_ok("command: [sleep, 10, true]\n"
	    "user: 1000\n"
	    "workdir: ~\n"
	    "instances: 0\n"
	    "env: {N: 3, B: yes}\n"
	    "restart: {backoff: {multiplier: 1, jitter: 0}}\n"
	    "limits: {nofile: 0, memory: 0}\n"
	    "stop: {signal: KILL, timeout: 0}\n"
	    "ports: {base: ~}\n");
	assert_string_equal(m->command[1], "10");
	assert_string_equal(m->command[2], "true");
	assert_string_equal(m->user, "1000");
	assert_null(m->workdir);
	assert_int_equal(m->instances, 0);
	assert_string_equal(m->env[0].key, "B");
	assert_string_equal(m->env[0].value, "yes");
	assert_true(m->restart.backoff.multiplier == 1.0);
	assert_true(m->restart.backoff.jitter == 0.0);
	assert_int_equal(m->limits.nofile, 0);
	assert_int_equal(m->stop.signal, SIGKILL);
	assert_int_equal(m->stop.timeout_ms, 0);
	assert_int_equal(m->port_base, -1);
	manifest_free(m);
}

/* One fixture per kind of error. */

static void
test_error_unknown_key(void **state)
{
	(void)state;
	expect_file_errors("bad/unknown-key.yaml",
	    "bad/unknown-key.yaml:4:3: restart.polcy: unknown field "
	    "(expected one of: policy, exit_codes, backoff, limit)\n"
	    "bad/unknown-key.yaml:5:1: comand: unknown field (expected one "
	    "of: name, command, workdir, user, group, env, instances, listen, "
	    "ports, restart, stop, readiness, health, deploy, depends_on, "
	    "logs, limits)");
}

static void
test_error_wrong_type(void **state)
{
	(void)state;
	expect_file_errors("bad/wrong-type.yaml",
	    "bad/wrong-type.yaml:1:10: command: wrong type: \"./api\" "
	    "(expected a non-empty list of strings)\n"
	    "bad/wrong-type.yaml:2:12: instances: wrong type: the string "
	    "\"3\" (expected an integer)\n"
	    "bad/wrong-type.yaml:3:6: env: wrong type: a list (expected a "
	    "mapping of NAME: value)\n"
	    "bad/wrong-type.yaml:5:12: restart.backoff: wrong type: \"5\" "
	    "(expected a mapping)\n"
	    "bad/wrong-type.yaml:7:18: deploy.auto_rollback: invalid boolean "
	    "\"yes\" (expected true or false)");
}

static void
test_error_out_of_bounds(void **state)
{
	(void)state;
	expect_file_errors("bad/out-of-bounds.yaml",
	    "bad/out-of-bounds.yaml:2:12: instances: out of range: 10001 "
	    "(expected 0..10000)\n"
	    "bad/out-of-bounds.yaml:4:19: restart.exit_codes[1]: out of "
	    "range: 256 (expected 0..255)\n"
	    "bad/out-of-bounds.yaml:5:25: restart.backoff.multiplier: out of "
	    "range: 0.5 (expected 1..100)\n"
	    "bad/out-of-bounds.yaml:5:38: restart.backoff.jitter: out of "
	    "range: 2 (expected 0..1)\n"
	    "bad/out-of-bounds.yaml:6:19: deploy.history: out of range: 0 "
	    "(expected 1..1000)\n"
	    "bad/out-of-bounds.yaml:7:14: logs.keep: out of range: 1001 "
	    "(expected 1..1000)\n"
	    "bad/out-of-bounds.yaml:7:30: logs.max_size: out of range: 1K "
	    "(expected >= 4K)");
}

static void
test_error_bad_duration(void **state)
{
	(void)state;
	expect_file_errors("bad/bad-duration.yaml",
	    "bad/bad-duration.yaml:2:17: stop.timeout: invalid duration "
	    "\"10x\" (expected a number with a unit: ms, s, m, h)\n"
	    "bad/bad-duration.yaml:4:22: restart.backoff.initial: invalid "
	    "duration \"10\" (expected a number with a unit: ms, s, m, h)\n"
	    "bad/bad-duration.yaml:4:31: restart.backoff.max: invalid "
	    "duration \"1.5s\" (expected a number with a unit: ms, s, m, h)\n"
	    "bad/bad-duration.yaml:5:21: restart.limit.interval: invalid "
	    "duration \"1m1h\" (expected a number with a unit: ms, s, m, h)");
}

static void
test_error_bad_size(void **state)
{
	(void)state;
	expect_file_errors("bad/bad-size.yaml",
	    "bad/bad-size.yaml:2:18: logs.max_size: invalid size \"1X\" "
	    "(expected a number with an optional unit: K, M, G, T)\n"
	    "bad/bad-size.yaml:3:18: limits.memory: invalid size \"-1M\" "
	    "(expected a number with an optional unit: K, M, G, T)");
}

static void
test_error_bad_signal(void **state)
{
	(void)state;
	expect_file_errors("bad/bad-signal.yaml",
	    "bad/bad-signal.yaml:3:11: stop.signal: invalid signal \"SIGFOO\" "
	    "(expected one of: SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, "
	    "SIGUSR2, SIGTERM, SIGWINCH)");
}

static void
test_error_unknown_var(void **state)
{
	(void)state;
	expect_file_errors("bad/unknown-var.yaml",
	    "bad/unknown-var.yaml:1:30: command[2]: unknown variable ${PORT} "
	    "(ports.base is not set; expected a key of env, SERVICE or "
	    "INSTANCE)\n"
	    "bad/unknown-var.yaml:1:41: command[3]: unknown variable ${NOPE} "
	    "(expected a key of env, SERVICE, INSTANCE or PORT)\n"
	    "bad/unknown-var.yaml:2:10: workdir: unterminated ${ (expected "
	    "${NAME}, or $$ for a literal $)");
}

static void
test_error_duplicate_key(void **state)
{
	(void)state;
	expect_file_errors("bad/duplicate-key.yaml",
	    "bad/duplicate-key.yaml:5:3: restart.policy: duplicate key "
	    "(first at line 4)\n"
	    "bad/duplicate-key.yaml:6:1: instances: duplicate key (first at "
	    "line 2)");
}

static void
test_error_syntax(void **state)
{
	(void)state;
	expect_file_errors("bad/syntax-error.yaml",
	    "bad/syntax-error.yaml:2:10: did not find expected ',' or ']' "
	    "(while parsing a flow sequence)");
}

static void
test_error_missing_command(void **state)
{
	(void)state;
	expect_file_errors("bad/missing-command.yaml",
	    "bad/missing-command.yaml:1:1: command: missing required field "
	    "(expected a non-empty list of strings)");
}

static void
test_error_bad_name(void **state)
{
	(void)state;
	expect_file_errors("bad/bad-name.yaml",
	    "bad/bad-name.yaml:1:7: name: invalid name \"My_API\" (expected "
	    "[a-z0-9][a-z0-9-]{0,62})");
}

static void
test_error_timeout_above_interval(void **state)
{
	(void)state;
	expect_file_errors("bad/timeout-above-interval.yaml",
	    "bad/timeout-above-interval.yaml:5:12: health.timeout: timeout 2s "
	    "is above interval 1s (expected timeout <= interval)");
}

static void
test_error_no_surge(void **state)
{
	(void)state;
	expect_file_errors("bad/no-surge.yaml",
	    "bad/no-surge.yaml:4:20: deploy.max_unavailable: max_surge and "
	    "max_unavailable are both 0 (expected at least one above 0)");
}

static void
test_error_reserved_env(void **state)
{
	(void)state;
	expect_file_errors("bad/reserved-env.yaml",
	    "bad/reserved-env.yaml:3:3: env.PORT: reserved: set by drover\n"
	    "bad/reserved-env.yaml:5:3: env.SERVICE: reserved: set by drover");
}

static void
test_error_mixed_health(void **state)
{
	(void)state;
	expect_file_errors("bad/mixed-health.yaml",
	    "bad/mixed-health.yaml:4:3: health.liveness: a probe directly "
	    "under health cannot be mixed with startup, liveness, readiness "
	    "(expected one form)");
}

static void
test_error_many(void **state)
{
	(void)state;
	expect_file_errors("bad/many-errors.yaml",
	    "bad/many-errors.yaml:2:11: command[0]: empty string (expected a "
	    "program name or path)\n"
	    "bad/many-errors.yaml:2:15: command[1]: unknown variable ${X} "
	    "(expected a key of env, SERVICE, INSTANCE or PORT)\n"
	    "bad/many-errors.yaml:3:12: instances: invalid integer \"lots\" "
	    "(expected an integer 0..10000)\n"
	    "bad/many-errors.yaml:6:27: listen[0].address: invalid address "
	    "\"localhost\" (expected HOST:PORT, [V6]:PORT or unix:/PATH)\n"
	    "bad/many-errors.yaml:7:12: listen[1].name: duplicate name "
	    "\"http\" (first in listen[0])\n"
	    "bad/many-errors.yaml:7:43: listen[1].port: unknown field "
	    "(expected one of: name, address)\n"
	    "bad/many-errors.yaml:9:22: restart.backoff.initial: initial 1m "
	    "is above max 30s (expected initial <= max)\n"
	    "bad/many-errors.yaml:10:16: stop.signal: invalid signal "
	    "\"TERMINATE\" (expected one of: SIGHUP, SIGINT, SIGQUIT, SIGKILL, "
	    "SIGUSR1, SIGUSR2, SIGTERM, SIGWINCH)\n"
	    "bad/many-errors.yaml:12:13: health.liveness: more than one probe "
	    "type (expected exactly one of: http, tcp, exec)\n"
	    "bad/many-errors.yaml:13:14: health.readiness: no probe type "
	    "(expected exactly one of: http, tcp, exec)\n"
	    "bad/many-errors.yaml:14:14: depends_on[0]: a service cannot "
	    "depend on itself (expected another service's name)\n"
	    "bad/many-errors.yaml:14:23: depends_on[2]: duplicate name "
	    "\"db\"\n"
	    "bad/many-errors.yaml:15:12: logs.to: invalid value \"syslog\" "
	    "(expected one of: file, journal, inherit)");
}

/* Further errors, inline. */

static void
test_error_yaml_features(void **state)
{
	(void)state;
	expect_yaml_errors("command: &c [x]\nuser: *c\n",
	    "t.yaml:2:7: YAML aliases are not supported (write the value "
	    "out)");
	expect_yaml_errors("command: [x]\nuser: !!str 3\n",
	    "t.yaml:2:7: YAML tags are not supported (quote a value to make "
	    "it a string)");
	expect_yaml_errors("command: [x]\n---\ncommand: [y]\n",
	    "t.yaml:2:1: a second YAML document (expected one manifest per "
	    "file)");
	expect_yaml_errors("", "t.yaml:1:1: empty manifest (expected a "
	    "mapping with at least command)");
	expect_yaml_errors("- a\n- b\n", "t.yaml:1:1: wrong type: a list "
	    "(expected a mapping)");
	expect_yaml_errors("command: [x]\n? [a]\n: b\n",
	    "t.yaml:2:3: a list cannot be a key (expected a name)");
	expect_yaml_errors("command: [\"a\\0b\"]\n",
	    "t.yaml:1:11: a NUL byte in a string (expected text)");
	expect_yaml_errors("command: [x]\nuser: \"\\xff\\xfe\"\n"
	    "group: \xff\n",
	    "t.yaml:3:8: invalid leading UTF-8 octet");
	expect_yaml_errors("command: [x]\nenv:\n  A: 1\n  A: 2\n",
	    "t.yaml:4:3: env.A: duplicate key (first at line 3)");
}

static void
test_error_fields(void **state)
{
	(void)state;
	expect_yaml_errors("command: []\n", "t.yaml:1:10: command: empty list "
	    "(expected a non-empty list of strings)");
	expect_yaml_errors("command: [x, [y]]\n", "t.yaml:1:14: command[1]: "
	    "wrong type: a list (expected a string)");
	expect_yaml_errors("command: ~\n", "t.yaml:1:10: command: wrong type: "
	    "null (expected a non-empty list of strings)");
	expect_yaml_errors("command: [x]\nuser: \"\"\n", "t.yaml:2:7: user: "
	    "empty string (expected a non-empty string)");
	expect_yaml_errors("command: [x]\nenv: {1A: x, B-C: y, D: [z]}\n",
	    "t.yaml:2:7: env.1A: invalid name (expected "
	    "[A-Za-z_][A-Za-z0-9_]*)\n"
	    "t.yaml:2:14: env.B-C: invalid name (expected "
	    "[A-Za-z_][A-Za-z0-9_]*)\n"
	    "t.yaml:2:25: env.D: wrong type: a list (expected a string)");
	expect_yaml_errors("command: [x]\nports: {base: 65000}\n"
	    "instances: 1000\n",
	    "t.yaml:2:15: ports.base: ports 65000..65999 of 1000 instances "
	    "go past 65535 (expected base + instances - 1 <= 65535)");
	expect_yaml_errors("command: [x]\nports: {base: 0}\n",
	    "t.yaml:2:15: ports.base: out of range: 0 (expected 1..65535)");
	expect_yaml_errors("command: [x]\nlisten: [{name: a, address: "
	    "\"unix:rel.sock\"}, {name: \"b:c\", address: \"[::1:80\"}, "
	    "{address: \"h:99999\"}]\n",
	    "t.yaml:2:29: listen[0].address: invalid address "
	    "\"unix:rel.sock\" (expected HOST:PORT, [V6]:PORT or unix:/PATH)\n"
	    "t.yaml:2:54: listen[1].name: invalid name \"b:c\" (expected "
	    "[A-Za-z0-9_.-]+)\n"
	    "t.yaml:2:70: listen[1].address: invalid address \"[::1:80\" "
	    "(expected HOST:PORT, [V6]:PORT or unix:/PATH)\n"
	    "t.yaml:2:82: listen[2].name: missing required field (expected "
	    "a string)\n"
	    "t.yaml:2:92: listen[2].address: invalid address \"h:99999\" "
	    "(expected HOST:PORT, [V6]:PORT or unix:/PATH)");
	expect_yaml_errors("command: [x]\nrestart: {policy: sometimes, "
	    "limit: {action: retry}}\n",
	    "t.yaml:2:19: restart.policy: invalid value \"sometimes\" "
	    "(expected one of: always, on-failure, never)\n"
	    "t.yaml:2:46: restart.limit.action: invalid value \"retry\" "
	    "(expected one of: fail, slow)");
	expect_yaml_errors("command: [x]\nrestart.policy: never\n",
	    "t.yaml:2:1: restart.policy: unknown field (expected one of: "
	    "name, command, workdir, user, group, env, instances, listen, "
	    "ports, restart, stop, readiness, health, deploy, depends_on, "
	    "logs, limits)");
	expect_yaml_errors("command: [x]\nreadiness: {notify: \"true\"}\n",
	    "t.yaml:2:21: readiness.notify: wrong type: the string \"true\" "
	    "(expected true or false)");
}

static void
test_error_probes(void **state)
{
	(void)state;
	expect_yaml_errors("command: [x]\nhealth: {http: {path: healthz}}\n",
	    "t.yaml:2:16: health.http.port: missing required field (expected "
	    "a port number or ${VAR})\n"
	    "t.yaml:2:23: health.http.path: invalid path \"healthz\" (expected "
	    "a path starting with /)");
	expect_yaml_errors("command: [x]\nhealth:\n"
	    "  liveness: {tcp: {port: 70000}, timeout: 0s}\n"
	    "  readiness: {http: {port: 80, status: 400-200}, on_unhealthy: "
	    "ignore}\n"
	    "  startup: {exec: {command: [\"${FOO}\"]}, "
	    "healthy_threshold: 0}\n",
	    "t.yaml:3:26: health.liveness.tcp.port: invalid port \"70000\" "
	    "(expected 1..65535 or a ${VAR})\n"
	    "t.yaml:3:43: health.liveness.timeout: out of range: 0s (expected "
	    ">= 1ms; <= interval)\n"
	    "t.yaml:4:40: health.readiness.http.status: invalid status range "
	    "\"400-200\" (expected MIN-MAX or one status, 100..599)\n"
	    "t.yaml:4:64: health.readiness.on_unhealthy: invalid value "
	    "\"ignore\" (expected one of: none, restart)\n"
	    "t.yaml:5:30: health.startup.exec.command[0]: unknown variable "
	    "${FOO} (expected a key of env, SERVICE, INSTANCE or PORT)\n"
	    "t.yaml:5:61: health.startup.healthy_threshold: out of range: 0 "
	    "(expected 1..1000)");
	expect_yaml_errors("command: [x]\nhealth: {liveness: {http: "
	    "{port: 80}}, foo: 1}\n",
	    "t.yaml:2:40: health.foo: unknown field (expected one of: "
	    "startup, liveness, readiness)");
	expect_yaml_errors("command: [x]\nhealth: {tcp: {port: 80}, bar: 1}\n",
	    "t.yaml:2:27: health.bar: unknown field (expected one of: http, "
	    "tcp, exec, interval, timeout, start_period, healthy_threshold, "
	    "unhealthy_threshold, on_unhealthy)");
	expect_yaml_errors("command: [x]\nhealth: {tcp: {port: \"${PORT}\"}}\n",
	    "t.yaml:2:22: health.tcp.port: unknown variable ${PORT} "
	    "(ports.base is not set; expected a key of env, SERVICE or "
	    "INSTANCE)");
	expect_yaml_errors("command: [x]\nhealth: 5\n",
	    "t.yaml:2:9: health: wrong type: \"5\" (expected a mapping)");
}

static void
test_error_name_from_file(void **state)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*got;

	(void)state;
	m = manifest_parse_yaml("command: [x]\n", 13, "My_Svc.yaml", "My_Svc",
	    &d);
	assert_null(m);
	got = diags_join(&d);
	assert_string_equal(got, "My_Svc.yaml:1:1: name: invalid name "
	    "\"My_Svc\" taken from the file name (expected "
	    "[a-z0-9][a-z0-9-]{0,62}, or a name: field)");
	free(got);
	diags_clear(&d);

	m = manifest_parse_yaml("command: [x]\n", 13, "x", NULL, &d);
	assert_null(m);
	got = diags_join(&d);
	assert_string_equal(got, "x:1:1: name: missing required field "
	    "(expected a name)");
	free(got);
	diags_clear(&d);
}

static void
test_error_json(void **state)
{
	(void)state;
	/* Same rules, no positions (so in the document's order); JSON
	 * values keep their types. */
	expect_json_errors("{\"command\": [\"x\"], \"instances\": \"3\", "
	    "\"stop\": {\"timeout\": 5}, \"deploy\": {\"canary\": 1.0, "
	    "\"auto_rollback\": \"true\"}, \"user\": 0, \"extra\": null}",
	    "t.json: instances: wrong type: the string \"3\" (expected an "
	    "integer)\n"
	    "t.json: stop.timeout: wrong type: the number 5 (expected a "
	    "duration like 5s)\n"
	    "t.json: deploy.canary: wrong type: the number 1 (expected an "
	    "integer)\n"
	    "t.json: deploy.auto_rollback: wrong type: the string \"true\" "
	    "(expected true or false)\n"
	    "t.json: user: wrong type: the number 0 (expected a string)\n"
	    "t.json: extra: unknown field (expected one of: name, command, "
	    "workdir, user, group, env, instances, listen, ports, restart, "
	    "stop, readiness, health, deploy, depends_on, logs, limits)");
	expect_json_errors("[1]", "t.json: wrong type: a list (expected a "
	    "mapping)");
}

static void
test_error_limit(void **state)
{
	struct diags	 d = { 0 };
	struct manifest	*m;
	char		*text, *p;
	size_t		 i;

	(void)state;
	/* 150 unknown keys: the first 100 and a note. */
	text = calloc(150, 16);
	assert_non_null(text);
	p = text;
	for (i = 0; i < 150; i++)
		p += sprintf(p, "k%zu: 1\n", i);
	m = manifest_parse_yaml(text, strlen(text), "t.yaml", "t", &d);
	assert_null(m);
	/* + "command: missing", which is past the cap. */
	assert_int_equal(d.n, 101);
	assert_string_equal(d.v[100].msg, "too many errors; only the first "
	    "100 are shown");
	diags_clear(&d);
	free(text);
}

/* Directories. */

static void
test_load_dir(void **state)
{
	struct diags	  d = { 0 };
	struct manifest	**v = NULL;
	size_t		  n = 0, i;

	(void)state;
	assert_int_equal(manifest_load_path("dir-ok", &v, &n, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->name, "a");
	assert_string_equal(v[1]->name, "b");
	for (i = 0; i < n; i++)
		manifest_free(v[i]);
	free(v);

	assert_int_equal(manifest_load_path("good/minimal.yaml", &v, &n, &d),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->name, "api");
	manifest_free(v[0]);
	free(v);
}

static void
test_load_dir_errors(void **state)
{
	struct diags	  d = { 0 };
	struct manifest	**v = NULL;
	size_t		  n = 0;
	char		 *got;

	(void)state;
	assert_int_equal(manifest_load_path("dir-dup", &v, &n, &d), -EINVAL);
	assert_null(v);
	got = diags_join(&d);
	assert_string_equal(got,
	    "dir-dup/three.yaml:2:12: instances: out of range: -1 (expected "
	    "0..10000)\n"
	    "dir-dup/two.yaml: name: service \"web\" is also defined in "
	    "dir-dup/one.yaml");
	free(got);
	diags_clear(&d);

	assert_int_equal(manifest_load_path("no-such-dir", &v, &n, &d),
	    -ENOENT);
	got = diags_join(&d);
	assert_string_equal(got, "no-such-dir: cannot read: No such file or "
	    "directory");
	free(got);
	diags_clear(&d);
}

/* Canonical form and revision. */

static const char minimal_canonical[] =
    "{\"command\":[\"./api\"],\"depends_on\":[],"
    "\"deploy\":{\"auto_rollback\":true,\"bake\":\"0s\",\"canary\":0,"
    "\"healthy_deadline\":\"5m\",\"history\":10,\"max_surge\":1,"
    "\"max_unavailable\":0,\"min_healthy_time\":\"0s\","
    "\"progress_deadline\":\"10m\"},"
    "\"env\":{},\"group\":null,"
    "\"health\":{\"liveness\":null,\"readiness\":null,\"startup\":null},"
    "\"instances\":1,"
    "\"limits\":{\"memory\":null,\"nofile\":null,\"pids\":null},"
    "\"listen\":[],"
    "\"logs\":{\"keep\":5,\"max_size\":\"10M\",\"to\":\"file\"},"
    "\"name\":\"api\",\"ports\":{\"base\":null},"
    "\"readiness\":{\"notify\":false,\"watchdog\":\"0s\"},"
    "\"restart\":{\"backoff\":{\"initial\":\"100ms\","
    "\"jitter\":0.10000000000000001,\"max\":\"30s\",\"multiplier\":2.0,"
    "\"reset_after\":\"1m\"},\"exit_codes\":[0],"
    "\"limit\":{\"action\":\"fail\",\"burst\":10,\"interval\":\"1m\"},"
    "\"policy\":\"always\"},"
    "\"stop\":{\"signal\":\"SIGTERM\",\"timeout\":\"10s\"},"
    "\"user\":null,\"workdir\":null}";

static void
test_canonical_minimal(void **state)
{
	struct manifest	*m = parse_ok("good/minimal.yaml");
	char		*c, *r;

	(void)state;
	c = manifest_canonical(m);
	assert_string_equal(c, minimal_canonical);
	free(c);
	/* Fixed: the hash of the text above, the same on every build. */
	r = revision_of(m);
	assert_int_equal(strlen(r), MANIFEST_REVISION_LEN);
	assert_string_equal(r, "95da576c786ad66b");
	free(r);
	manifest_free(m);
}

static void
test_revision(void **state)
{
	char	*a, *b, *c, *d, *e;

	(void)state;
	/* Key order, flow or block style, spelling of equal values. */
	a = yaml_revision("command: [x]\ninstances: 2\n"
	    "restart: {policy: never, backoff: {initial: 1s}}\n"
	    "env: {A: \"1\", B: \"2\"}\nstop: {signal: SIGTERM}\n");
	b = yaml_revision("env:\n  B: \"2\"\n  A: \"1\"\nrestart:\n"
	    "  backoff:\n    initial: 1000ms\n  policy: never\n"
	    "instances: 2\nstop: {signal: TERM}\ncommand:\n  - x\n");
	assert_string_equal(a, b);
	/* Parsed twice. */
	c = yaml_revision("command: [x]\ninstances: 2\n"
	    "restart: {policy: never, backoff: {initial: 1s}}\n"
	    "env: {A: \"1\", B: \"2\"}\nstop: {signal: SIGTERM}\n");
	assert_string_equal(a, c);
	/* One field changed. */
	d = yaml_revision("command: [x]\ninstances: 3\n"
	    "restart: {policy: never, backoff: {initial: 1s}}\n"
	    "env: {A: \"1\", B: \"2\"}\nstop: {signal: SIGTERM}\n");
	assert_string_not_equal(a, d);
	/* The shorthand is the long form with the same probe twice. */
	free(c);
	free(d);
	c = yaml_revision("command: [x]\nhealth: {tcp: {port: 80}, "
	    "interval: 2s}\n");
	d = yaml_revision("command: [x]\nhealth:\n"
	    "  readiness: {tcp: {port: \"80\", host: 127.0.0.1}, "
	    "interval: 2s}\n"
	    "  liveness: {interval: 2s, tcp: {port: 80}}\n");
	assert_string_equal(c, d);
	e = yaml_revision("command: [x]\nhealth:\n"
	    "  liveness: {interval: 2s, tcp: {port: 80}}\n");
	assert_string_not_equal(c, e);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

/* manifest_to_json -> text -> JSON -> manifest_from_json: same text. */
static void
round_trip(const char *path)
{
	struct diags	 d = { 0 };
	struct manifest	*m = parse_ok(path), *back, *dup;
	json_t		*j;
	char		*c1, *c2, *c3;

	c1 = manifest_canonical(m);
	j = json_loads(c1, 0, NULL);
	assert_non_null(j);
	back = manifest_from_json(j, "state", NULL, &d);
	json_decref(j);
	assert_non_null(back);
	assert_int_equal(d.n, 0);
	c2 = manifest_canonical(back);
	assert_string_equal(c1, c2);

	j = manifest_to_json(m);
	manifest_free(back);
	back = manifest_from_json(j, "state", NULL, &d);
	json_decref(j);
	assert_non_null(back);
	free(c2);
	c2 = manifest_canonical(back);
	assert_string_equal(c1, c2);

	dup = manifest_dup(m);
	manifest_free(m);
	c3 = manifest_canonical(dup);
	assert_string_equal(c1, c3);
	free(c1);
	free(c2);
	free(c3);
	manifest_free(back);
	manifest_free(dup);
}

static void
test_json_round_trip(void **state)
{
	(void)state;
	round_trip("good/minimal.yaml");
	round_trip("good/full.yaml");
	round_trip("good/long-health.yaml");
	assert_null(manifest_dup(NULL));
	manifest_free(NULL);
	strv_free(NULL);
}

/* ${VAR} expansion. */

static void
test_expand(void **state)
{
	struct manifest	 *m = parse_ok("good/full.yaml");
	char		**env, *s;

	(void)state;
	s = manifest_expand(m, m->command[2], 2);
	assert_string_equal(s, "9002");
	free(s);
	s = manifest_expand(m, m->command[4], 2);
	assert_string_equal(s, "api-2");
	free(s);
	s = manifest_expand(m, m->command[5], 2);
	assert_string_equal(s, "--level=info");
	free(s);
	s = manifest_expand(m, "$$PORT=${PORT} $x $", 0);
	assert_string_equal(s, "$PORT=9000 $x $");
	free(s);
	s = manifest_expand(m, m->health.liveness.port, 1);
	assert_string_equal(s, "9001");
	free(s);

	env = manifest_instance_env(m, 2);
	assert_string_equal(env[0], "DATA_DIR=/var/lib/api/2");
	assert_string_equal(env[1], "LOG_LEVEL=info");
	assert_string_equal(env[2], "PRICE=$5");
	assert_string_equal(env[3], "SERVICE=api");
	assert_string_equal(env[4], "INSTANCE=2");
	assert_string_equal(env[5], "PORT=9002");
	assert_null(env[6]);
	strv_free(env);
	manifest_free(m);
}

static void
test_expand_env_refs(void **state)
{
	struct manifest	 *m;
	char		**env, *s;

	(void)state;
	/* An env value referencing another key gets it as written. */
	m = yaml_ok("name: web\ncommand: [\"${A}\"]\n"
	    "env: {A: \"${B}-${INSTANCE}\", B: \"${SERVICE}\", C: \"${C}\"}\n");
	env = manifest_instance_env(m, 1);
	assert_string_equal(env[0], "A=${SERVICE}-1");
	assert_string_equal(env[1], "B=web");
	assert_string_equal(env[2], "C=${C}");
	assert_string_equal(env[3], "SERVICE=web");
	assert_string_equal(env[4], "INSTANCE=1");
	assert_null(env[5]);		/* no ports.base, no PORT */
	strv_free(env);
	/* Elsewhere ${A} is what the instance sees as $A. */
	s = manifest_expand(m, m->command[0], 1);
	assert_string_equal(s, "${SERVICE}-1");
	free(s);
	manifest_free(m);
}

/* Diff. */

static void
test_diff(void **state)
{
	struct manifest	*a, *b;
	json_t		*d, *e;
	char		*s;

	(void)state;
	a = yaml_ok("command: [x]\n");
	b = yaml_ok("command: [x, -v]\ninstances: 4\n"
	    "restart: {backoff: {initial: 1s}}\nenv: {A: b}\n");
	d = manifest_diff(a, b);
	s = json_dumps(d, JSON_COMPACT);
	assert_string_equal(s,
	    "[{\"path\":\"command\",\"old\":[\"x\"],\"new\":[\"x\",\"-v\"],"
	    "\"class\":\"rollout\"},"
	    "{\"path\":\"env.A\",\"old\":null,\"new\":\"b\","
	    "\"class\":\"rollout\"},"
	    "{\"path\":\"instances\",\"old\":1,\"new\":4,\"class\":\"scale\"},"
	    "{\"path\":\"restart.backoff.initial\",\"old\":\"100ms\","
	    "\"new\":\"1s\",\"class\":\"live\"}]");
	free(s);
	json_decref(d);

	d = manifest_diff(a, a);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);

	/* Against nothing (a new service): every leaf, old null. */
	d = manifest_diff(NULL, a);
	assert_true(json_array_size(d) > 30);
	e = json_array_get(d, 0);
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	    "command");
	assert_true(json_is_null(json_object_get(e, "old")));
	json_decref(d);
	manifest_free(b);

	b = yaml_ok("command: [x]\nhealth: {liveness: {tcp: {port: 80}}}\n");
	d = manifest_diff(a, b);
	assert_int_equal(json_array_size(d), 8);
	e = json_array_get(d, 0);
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	    "health.liveness.healthy_threshold");
	assert_true(json_is_null(json_object_get(e, "old")));
	assert_string_equal(json_string_value(json_object_get(e, "class")),
	    "live");
	json_decref(d);
	manifest_free(a);
	manifest_free(b);
}

/* The field table. */

static void
test_field_table(void **state)
{
	const struct manifest_field	*tab, *f;
	struct manifest			*m = parse_ok("good/minimal.yaml");
	json_t				*j, *v;
	size_t				 n, i;
	char				 buf[256], *p, *key;

	(void)state;
	tab = manifest_fields(&n);
	assert_true(n > 30);
	j = manifest_to_json(m);
	for (i = 0; i < n; i++) {
		assert_non_null(tab[i].doc);
		assert_true(tab[i].doc[0] != '\0');
		assert_ptr_equal(manifest_field_find(tab[i].path), &tab[i]);
		if (tab[i].type == MFT_HEALTH)
			continue;
		/* Every entry is in the canonical form, at its path. */
		p = strdup(tab[i].path);
		v = j;
		for (key = strtok(p, "."); key != NULL; key = strtok(NULL, "."))
			v = json_object_get(v, key);
		assert_non_null(v);
		free(p);
	}
	json_decref(j);
	manifest_free(m);

	tab = manifest_probe_fields(&n);
	assert_true(n > 10);
	for (i = 0; i < n; i++) {
		assert_non_null(tab[i].doc);
		assert_true(tab[i].doc[0] != '\0');
		manifest_field_bounds(&tab[i], buf, sizeof(buf));
	}
	f = manifest_field_find("health.readiness.http.port");
	assert_non_null(f);
	assert_string_equal(f->path, "http.port");
	assert_int_equal(f->type, MFT_PROBE_PORT);
	assert_null(manifest_field_find("restart.nope"));
	assert_null(manifest_field_find("env.FOO"));

	assert_int_equal(manifest_field_change("restart.backoff.max"),
	    MANIFEST_CHANGE_LIVE);
	assert_int_equal(manifest_field_change("env.FOO"),
	    MANIFEST_CHANGE_ROLLOUT);
	assert_int_equal(manifest_field_change("instances"),
	    MANIFEST_CHANGE_SCALE);
	assert_int_equal(manifest_field_change("health.startup.exec.command"),
	    MANIFEST_CHANGE_LIVE);
	assert_string_equal(manifest_change_name(MANIFEST_CHANGE_RESTART),
	    "restart");

	manifest_field_bounds(manifest_field_find("instances"), buf,
	    sizeof(buf));
	assert_string_equal(buf, "0..10000");
	manifest_field_bounds(manifest_field_find("health.liveness.timeout"),
	    buf, sizeof(buf));
	assert_string_equal(buf, ">= 1ms; <= interval");
	manifest_field_bounds(manifest_field_find("restart.policy"), buf,
	    sizeof(buf));
	assert_string_equal(buf, "always | on-failure | never");
	manifest_field_bounds(manifest_field_find("logs.max_size"), buf,
	    sizeof(buf));
	assert_string_equal(buf, ">= 4K");
	assert_string_equal(manifest_type_name(MFT_DURATION), "duration");
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(manifest_name_valid("a"));
	assert_true(manifest_name_valid("0api-2"));
	assert_true(manifest_name_valid("a23456789012345678901234567890123456"
	    "789012345678901234567890123"));		/* 63 */
	assert_false(manifest_name_valid("a234567890123456789012345678901234"
	    "56789012345678901234567890123x"));		/* 64 */
	assert_false(manifest_name_valid(""));
	assert_false(manifest_name_valid(NULL));
	assert_false(manifest_name_valid("-api"));
	assert_false(manifest_name_valid("Api"));
	assert_false(manifest_name_valid("a_b"));
	assert_false(manifest_name_valid("a.b"));
	assert_string_equal(restart_policy_name(RESTART_ON_FAILURE),
	    "on-failure");
	assert_string_equal(logs_to_name(LOGS_INHERIT), "inherit");
	assert_string_equal(limit_action_name(LIMIT_SLOW), "slow");
	assert_string_equal(probe_type_name(PROBE_EXEC), "exec");
	assert_string_equal(manifest_signal_name(SIGTERM), "SIGTERM");
	assert_null(manifest_signal_name(SIGSEGV));
}

static int
setup(void **state)
{
	(void)state;
	return chdir(TEST_DATA_DIR "/manifest");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_long_health),
		cmocka_unit_test(test_http_probe_defaults),
		cmocka_unit_test(test_yaml_scalars),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_wrong_type),
		cmocka_unit_test(test_error_out_of_bounds),
		cmocka_unit_test(test_error_bad_duration),
		cmocka_unit_test(test_error_bad_size),
		cmocka_unit_test(test_error_bad_signal),
		cmocka_unit_test(test_error_unknown_var),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_missing_command),
		cmocka_unit_test(test_error_bad_name),
		cmocka_unit_test(test_error_timeout_above_interval),
		cmocka_unit_test(test_error_no_surge),
		cmocka_unit_test(test_error_reserved_env),
		cmocka_unit_test(test_error_mixed_health),
		cmocka_unit_test(test_error_many),
		cmocka_unit_test(test_error_yaml_features),
		cmocka_unit_test(test_error_fields),
		cmocka_unit_test(test_error_probes),
		cmocka_unit_test(test_error_name_from_file),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_load_dir_errors),
		cmocka_unit_test(test_canonical_minimal),
		cmocka_unit_test(test_revision),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_env_refs),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
