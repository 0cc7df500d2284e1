/*
 * metrics.c — GET /metrics: Prometheus text exposition, version 0.0.4.
 *
 * Everything is read at scrape time from what droverd already holds (the
 * services, the instance views the agent reported, the event ring) and
 * from /proc for droverd's and the local agent's process metrics; nothing
 * is counted twice. Families, each with HELP and TYPE and its samples
 * together:
 *
 *   drover_build_info{version}                        gauge, 1
 *   drover_agent_connected                            gauge, 0 or 1
 *   drover_services                                   gauge
 *   drover_service_enabled{service}                   gauge, 0 or 1
 *   drover_service_instances_desired{service}         gauge
 *   drover_instance_state{service,instance,state}     gauge, 1 for the
 *       current state and 0 for every other lifecycle state
 *   drover_instance_health{service,instance,health}   gauge, the same
 *   drover_instance_restarts_total{service,instance}  counter
 *   drover_instance_health_failures{service,instance} gauge, failed
 *       probes in a row
 *   drover_health_check_duration_seconds{service}     histogram
 *   drover_rollout_progress{service}                  gauge, 0 to 1, one
 *       sample per service while a rollout of it runs
 *   drover_events_total, drover_event_streams,
 *   drover_event_streams_dropped_total                the event stream
 *   process_*{process="droverd"|"agent"}              from /proc
 *
 * Label values are service names ([a-z0-9-]), indexes and words of fixed
 * lists (states, health), so none needs escaping; a state or health
 * outside the lists only sets every sample of its family to 0.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "droverd.h"
#include "util.h"

static const char *const metrics_states[] = {
	"waiting", "pending", "starting", "running", "ready", "stopping",
	"exited", "backoff", "failed", "crashloop",
};

static const char *const metrics_healths[] = {
	"none", "unknown", "passing", "failing",
};

/* Upper bounds of the histogram buckets, seconds (+Inf follows). */
static const double metrics_bounds[METRICS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void
metrics_observe(struct metrics_histogram *h, double value)
{
	size_t	i;

	for (i = 0; i < METRICS_BUCKETS && value > metrics_bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += value;
}

static void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* The API's view of every service, built once per scrape. */
static json_t **
metrics_views(void)
{
	json_t	**v = xcalloc(D->nservices + 1, sizeof(*v));
	size_t	  i;

	for (i = 0; i < D->nservices; i++)
		v[i] = service_to_json(D->services[i], false);
	return v;
}

static void
metrics_services(struct evbuffer *out)
{
	struct service	*s;
	size_t		 i;

	metrics_family(out, "drover_services", "gauge",
	    "Number of services droverd knows.");
	evbuffer_add_printf(out, "drover_services %zu\n", D->nservices);
	metrics_family(out, "drover_service_enabled", "gauge",
	    "Whether the service is started (1) or stopped (0).");
	for (i = 0; i < D->nservices; i++) {
		s = D->services[i];
		evbuffer_add_printf(out,
		    "drover_service_enabled{service=\"%s\"} %d\n", s->name,
		    s->enabled ? 1 : 0);
	}
	metrics_family(out, "drover_service_instances_desired", "gauge",
	    "Instances the service's manifest asks for.");
	for (i = 0; i < D->nservices; i++) {
		s = D->services[i];
		evbuffer_add_printf(out, "drover_service_instances_desired"
		    "{service=\"%s\"} %u\n", s->name, s->m->instances);
	}
}

/* One sample per word of `words`: 1 for the instance's value, 0 else. */
static void
metrics_stateset(struct evbuffer *out, json_t **views, const char *name,
    const char *field, const char *const *words, size_t nwords)
{
	const char	*svc, *value;
	json_t		*inst;
	size_t		 i, k, w;

	for (i = 0; i < D->nservices; i++) {
		svc = D->services[i]->name;
		json_array_foreach(json_object_get(views[i], "instances"), k,
		    inst) {
			value = json_string_value(json_object_get(inst, field));
			for (w = 0; w < nwords; w++)
				evbuffer_add_printf(out, "%s{service=\"%s\","
				    "instance=\"%" JSON_INTEGER_FORMAT "\","
				    "%s=\"%s\"} %d\n", name, svc,
				    json_integer_value(json_object_get(inst,
				    "index")), field, words[w], value != NULL &&
				    strcmp(value, words[w]) == 0);
		}
	}
}

/* One sample per instance: an integer field of its view (0 if none). */
static void
metrics_per_instance(struct evbuffer *out, json_t **views, const char *name,
    const char *field)
{
	json_t	*inst;
	size_t	 i, k;

	for (i = 0; i < D->nservices; i++) {
		json_array_foreach(json_object_get(views[i], "instances"), k,
		    inst)
			evbuffer_add_printf(out, "%s{service=\"%s\",instance="
			    "\"%" JSON_INTEGER_FORMAT "\"} %" JSON_INTEGER_FORMAT
			    "\n", name, D->services[i]->name,
			    json_integer_value(json_object_get(inst, "index")),
			    json_integer_value(json_object_get(inst, field)));
	}
}

static void
metrics_instances(struct evbuffer *out, json_t **views)
{
	metrics_family(out, "drover_instance_state", "gauge",
	    "Lifecycle state of the instance: 1 for the current one.");
	metrics_stateset(out, views, "drover_instance_state", "state",
	    metrics_states, nitems(metrics_states));
	metrics_family(out, "drover_instance_health", "gauge",
	    "Health of the instance: 1 for the current one (none: no probe).");
	metrics_stateset(out, views, "drover_instance_health", "health",
	    metrics_healths, nitems(metrics_healths));
	metrics_family(out, "drover_instance_restarts_total", "counter",
	    "Times the agent started the instance again.");
	metrics_per_instance(out, views, "drover_instance_restarts_total",
	    "restarts");
	metrics_family(out, "drover_instance_health_failures", "gauge",
	    "Health probes of the instance that failed in a row.");
	metrics_per_instance(out, views, "drover_instance_health_failures",
	    "health_failures");
}

static void
metrics_histogram_samples(struct evbuffer *out, const char *name,
    const char *service, const struct metrics_histogram *h)
{
	uint64_t	cum = 0;
	size_t		i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		evbuffer_add_printf(out, "%s_bucket{service=\"%s\",le=\"%g\"} "
		    "%llu\n", name, service, metrics_bounds[i],
		    (unsigned long long)cum);
	}
	evbuffer_add_printf(out, "%s_bucket{service=\"%s\",le=\"+Inf\"} "
	    "%llu\n", name, service, (unsigned long long)h->count);
	evbuffer_add_printf(out, "%s_sum{service=\"%s\"} %.9g\n", name,
	    service, h->sum);
	evbuffer_add_printf(out, "%s_count{service=\"%s\"} %llu\n", name,
	    service, (unsigned long long)h->count);
}

static void
metrics_health_rollout(struct evbuffer *out)
{
	size_t	i;

	metrics_family(out, "drover_health_check_duration_seconds",
	    "histogram", "How long the service's health probes took.");
	for (i = 0; i < D->nservices; i++)
		metrics_histogram_samples(out,
		    "drover_health_check_duration_seconds",
		    D->services[i]->name, &D->services[i]->health_durations);
	/* One sample per service while a rollout of it runs. */
	metrics_family(out, "drover_rollout_progress", "gauge",
	    "Share of the service's instances the running rollout has "
	    "replaced, 0 to 1.");
	for (i = 0; i < D->nservices; i++)
		if (rollout_active(D->services[i]))
			evbuffer_add_printf(out, "drover_rollout_progress"
			    "{service=\"%s\"} %.4g\n", D->services[i]->name,
			    rollout_progress(D->services[i]));
}

static void
metrics_daemon(struct evbuffer *out)
{
	metrics_family(out, "drover_build_info", "gauge",
	    "droverd's version, as a label.");
	evbuffer_add_printf(out, "drover_build_info{version=\"%s\"} 1\n",
	    DROVER_VERSION);
	metrics_family(out, "drover_agent_connected", "gauge",
	    "Whether droverd's link to the agent is up.");
	evbuffer_add_printf(out, "drover_agent_connected %d\n",
	    agent_connected() ? 1 : 0);
	metrics_family(out, "drover_events_total", "counter",
	    "Events recorded since droverd started.");
	evbuffer_add_printf(out, "drover_events_total %llu\n",
	    (unsigned long long)events_total());
	metrics_family(out, "drover_event_streams", "gauge",
	    "Clients following GET /api/v1/events.");
	evbuffer_add_printf(out, "drover_event_streams %zu\n",
	    events_clients());
	metrics_family(out, "drover_event_streams_dropped_total", "counter",
	    "Event stream clients dropped for falling too far behind.");
	evbuffer_add_printf(out, "drover_event_streams_dropped_total %llu\n",
	    (unsigned long long)events_dropped());
}

/* --- process metrics, from /proc --- */

struct metrics_proc {
	const char	*label;
	double		 cpu;		/* seconds, user + system */
	double		 start;		/* unix seconds */
	unsigned long	 vsize;		/* bytes */
	long		 rss;		/* bytes */
	long		 fds;
	long		 max_fds;	/* -1: unknown */
};

static long
metrics_btime(void)
{
	char	*buf, *p;
	long	 t = 0;

	if (read_file("/proc/stat", &buf, NULL) < 0)
		return 0;
	if ((p = strstr(buf, "\nbtime ")) != NULL)
		t = strtol(p + 7, NULL, 10);
	free(buf);
	return t;
}

static long
metrics_count_fds(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	long		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - (strcmp(dir, "/proc/self/fd") == 0);	/* d's own fd */
}

static long
metrics_max_fds(const char *base)
{
	char	*path, *buf, *p;
	long	 n = -1;

	xasprintf(&path, "%s/limits", base);
	if (read_file(path, &buf, NULL) == 0) {
		if ((p = strstr(buf, "Max open files")) != NULL)
			n = strtol(p + 14, NULL, 10);
		free(buf);
	}
	free(path);
	return n;
}

/* Read /proc/<pid> ("self" for droverd); false if it is not there. */
static bool
metrics_proc_read(const char *pid, struct metrics_proc *p)
{
	unsigned long long	 ut, st, start;
	char			*base, *path, *buf, *rp;
	long			 tck = sysconf(_SC_CLK_TCK), rss;
	bool			 ok = false;

	xasprintf(&base, "/proc/%s", pid);
	xasprintf(&path, "%s/stat", base);
	if (read_file(path, &buf, NULL) == 0) {
		/* after the command's ")": field 3 (state) onwards */
		if ((rp = strrchr(buf, ')')) != NULL && sscanf(rp + 1,
		    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		    "%*d %*d %*d %*d %*d %*d %llu %lu %ld", &ut, &st, &start,
		    &p->vsize, &rss) == 5) {
			p->cpu = (double)(ut + st) / (double)tck;
			p->start = (double)metrics_btime() +
			    (double)start / (double)tck;
			p->rss = rss * sysconf(_SC_PAGESIZE);
			ok = true;
		}
		free(buf);
	}
	free(path);
	if (ok) {
		xasprintf(&path, "%s/fd", base);
		p->fds = metrics_count_fds(path);
		free(path);
		p->max_fds = metrics_max_fds(base);
	}
	free(base);
	return ok;
}

/* The local agent's /proc entry, if the pid of its hello is one. */
static bool
metrics_agent_read(struct metrics_proc *p)
{
	char	 pid[24], *path, *comm;
	bool	 ok;
	pid_t	 a = agent_pid();

	if (a <= 0)
		return false;
	snprintf(pid, sizeof(pid), "%ld", (long)a);
	xasprintf(&path, "/proc/%s/comm", pid);
	ok = read_file(path, &comm, NULL) == 0;
	free(path);
	if (!ok)
		return false;
	ok = strncmp(comm, "drover-agent", 12) == 0;
	free(comm);
	return ok && metrics_proc_read(pid, p);
}

static void
metrics_processes(struct evbuffer *out)
{
	struct metrics_proc	 procs[2] = {
		{ .label = "droverd" }, { .label = "agent" },
	};
	size_t			 n = 0, i;

	if (metrics_proc_read("self", &procs[n]))
		n++;
	if (metrics_agent_read(&procs[n]))
		n++;
#define METRICS_PROC(name, type, help, fmt, field, cond)		\
	metrics_family(out, name, type, help);				\
	for (i = 0; i < n; i++)						\
		if (cond)						\
			evbuffer_add_printf(out,			\
			    name "{process=\"%s\"} " fmt "\n",		\
			    procs[i].label, procs[i].field);
	METRICS_PROC("process_cpu_seconds_total", "counter",
	    "User and system CPU time spent, seconds.", "%.2f", cpu, true)
	METRICS_PROC("process_resident_memory_bytes", "gauge",
	    "Resident memory size, bytes.", "%ld", rss, true)
	METRICS_PROC("process_virtual_memory_bytes", "gauge",
	    "Virtual memory size, bytes.", "%lu", vsize, true)
	METRICS_PROC("process_open_fds", "gauge",
	    "Open file descriptors.", "%ld", fds, procs[i].fds >= 0)
	METRICS_PROC("process_max_fds", "gauge",
	    "Limit of open file descriptors.", "%ld", max_fds,
	    procs[i].max_fds >= 0)
	METRICS_PROC("process_start_time_seconds", "gauge",
	    "Start time of the process, unix seconds.", "%.2f", start, true)
#undef METRICS_PROC
}

void
metrics_serve(struct evhttp_request *req)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);
	json_t		**views = metrics_views();
	size_t		  i;

	metrics_daemon(out);
	metrics_services(out);
	metrics_instances(out, views);
	metrics_health_rollout(out);
	metrics_processes(out);
	for (i = 0; i < D->nservices; i++)
		json_decref(views[i]);
	free(views);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, NULL, NULL);
}
