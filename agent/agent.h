/*
 * agent.h — drover-agent's internal interfaces: the service table
 * (assign.c), shared revisions (spec.c), the instance state machine
 * (supervise.c), health checks (probe*.c), readiness notification and
 * the watchdog (notify.c), listen sockets (listen.c), process creation
 * (spawn.c), instances' output (logs.c), the agent link (server.c), the
 * keeper (keeper.c) and the worker's side of it (hold.c, fdmsg.c), the
 * record of instances and adoption (adopt.c), and the process-wide state
 * (main.c).
 *
 * The agent runs as two processes of this binary: the keeper, a small
 * child subreaper that holds what must outlive the worker (output pipes,
 * listen sockets, the agent's lock) and starts the worker again when it
 * dies; and the worker, everything else. A new worker adopts the
 * instances a former one left running (adopt.c).
 *
 * Ownership: the service table owns every struct svc; a svc owns its
 * instances (svc->inst[index]) and its bound listen sockets
 * (svc->listen); a spec (one parsed revision) is shared by reference
 * between the svc that wants it and the instances that run it.
 */
#ifndef DROVER_AGENT_H
#define DROVER_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "manifest.h"
#include "notify-msg.h"
#include "restart.h"

/* spec.c: one parsed revision of a service, shared by reference. */
struct spec {
	unsigned	 refs;
	char		*revision;
	struct manifest	*m;
	char		 run_hash[MANIFEST_REVISION_LEN + 1];	/* "" until asked */
};

struct spec	*spec_new(const char *revision, struct manifest *);
struct spec	*spec_ref(struct spec *);
/* Do two revisions run the same processes (they differ only in live
 * settings)? */
bool		 spec_same_run(struct spec *, struct spec *);
void		 spec_unref(struct spec *);

/*
 * What the assignment wants at one index: a revision and a restart
 * generation (a new one restarts the instance). spec NULL: no instance.
 * During a rollout droverd assigns instances of two revisions side by
 * side, at indexes it picks; otherwise indexes 0..instances-1 of one.
 */
struct want {
	struct spec	*spec;
	int64_t		 gen;
};

/* A service as assigned to this agent. */
struct svc {
	char		 *name;
	struct spec	 *spec;		/* the service's current revision */
	struct want	 *want;		/* by index */
	unsigned	  nwant;
	bool		  enabled;
	bool		  assigned;	/* false: forget once every instance is gone */
	int64_t		  start_gen;
	struct inst	**inst;		/* by index; NULL where none */
	unsigned	  ninst;	/* size of inst[] */
	unsigned	  live;		/* non-NULL entries of inst[] */
	struct listen_sock *listen;	/* bound sockets (listen.c) */
};

enum inst_state {
	INST_WAITING,
	INST_PENDING,
	INST_STARTING,
	INST_RUNNING,
	INST_READY,
	INST_STOPPING,
	INST_EXITED,
	INST_BACKOFF,
	INST_FAILED,
	INST_CRASHLOOP,
};

/* What an instance with readiness.notify said of its readiness. */
enum inst_notified {
	NOTIFIED_NOTHING,	/* no READY=1 since the exec or RELOADING=1 */
	NOTIFIED_READY,		/* READY=1 */
	NOTIFIED_STOPPING,	/* STOPPING=1: not ready until the next exec */
};

/* One instance (service, index). Kept small: there may be thousands. */
struct inst {
	struct svc	*svc;
	struct spec	*spec;		/* the revision it runs or last ran */
	unsigned	 index;
	enum inst_state	 state;
	pid_t		 pid;		/* 0: no process */
	int		 pidfd;		/* -1: no process */
	unsigned	 restarts;
	struct restart_count rc;	/* past crashes: backoff and limit */
	uint64_t	 started;	/* monotonic ms of the last spawn */
	uint64_t	 next_start;	/* monotonic ms, in backoff/crashloop */
	uint64_t	 since;		/* wall ms of the last state change */
	int64_t		 restart_gen;
	int64_t		 start_gen;
	char		*last_error;
	struct event	*timer;		/* backoff or stop escalation */
	struct event	*exit_ev;	/* pidfd readable: the process ended */
	struct logs	*logs;		/* output capture; NULL until needed */
	struct health	*health;	/* its checks; NULL: it has no probe */
	int		 cgfd;		/* its cgroup's directory, or -1 */
	bool		 done;		/* exited by policy: left alone */
	bool		 spawn_failed;	/* the child failed before its exec */
	bool		 unhealthy;	/* stopping because a probe said so */
	enum inst_notified notified;	/* readiness.notify */
	pid_t		 main_pid;	/* MAINPID= (recorded), 0: none */
	char		*status_text;	/* the last STATUS=, or NULL */
	struct event	*watchdog;	/* readiness.watchdog deadline */
	bool		 adopted;	/* pid is a former worker's process */
	pid_t		 start_pid;	/* the pid start_time was read for */
	uint64_t	 start_time;	/* of pid, /proc/PID/stat field 22 */
};

/* cgroup.c: one cgroup v2 per instance, where it is writable. */
/* Detect the hierarchy, make the agent's subtree; logs the mode once. */
void		 cgroup_init(void);
bool		 cgroup_enabled(void);
/* {"cgroup": bool, "controllers": [...]} for the hello message. */
json_t		*cgroup_caps(void);
/* Why the limits of `m` cannot be enforced here (malloc'd), or NULL. */
char		*cgroup_check_limits(const struct manifest *);
/*
 * Create (or reuse) the cgroup of instance `index` of `svc` and set its
 * limits; returns its directory fd (close-on-exec), or a negative errno
 * with a malloc'd *cause.
 */
int		 cgroup_open(const char *svc, unsigned index,
		    const struct manifest *, char **cause);
/*
 * The instance whose cgroup holds process `pid`: its service's name
 * (into svc, len bytes) and index. -ENOENT when the process is in no
 * instance's cgroup, -ENOTSUP without cgroups, another negative errno
 * when /proc cannot tell (the process is gone).
 */
int		 cgroup_pid_instance(pid_t pid, char *svc, size_t len,
		    unsigned *index);
/*
 * Remove what a previous run of this agent left: empty cgroups go, and
 * the processes of one that `keep` does not claim (by its name,
 * "<service>.<index>") are killed.
 */
void		 cgroup_sweep(bool (*keep)(const char *name));
/* SIGKILL every process left in the cgroup. */
void		 cgroup_kill(int dirfd);
/* Close the fd and remove the directory (once its last process died). */
void		 cgroup_release(const char *svc, unsigned index, int dirfd);
/* Directories still waiting for their processes to die. */
bool		 cgroup_busy(void);
void		 cgroup_cleanup(void);

/* main.c: process-wide state. */
struct agent {
	struct event_base	*base;
	char			*run_dir;
	char			*state_dir;
	char			*sock_path;
	char			*logs_dir;	/* instances' output */
	char			*log_path;	/* the agent's own, when daemonized */
	unsigned		 nprocs;	/* processes not yet reaped */
	bool			 shutting_down;
	bool			 handing_off;	/* leaving the instances running */
	char			*self;		/* the binary, to exec again */
	char			**argv;		/* its options, less internal ones */
};
extern struct agent	agent;

void		 agent_shutdown(const char *why);
/* The keeper asked: leave the loop without stopping any instance. */
void		 agent_handoff(void);
/* The keeper died: become the keeper, keeping every held fd. */
void		 agent_keeper_lost(void);
/* Replace the agent's binaries in place (the keeper does it). */
void		 agent_upgrade(const char *why);
/* argv to exec the binary: [self, first, the agent's options, NULL]. */
char		**agent_exec_argv(const char *first);
/* Exit the loop once shutting down, no child and no cgroup left. */
void		 agent_check_done(void);

/* assign.c: the service table, assignments and their persistence. */
int		 assign_init(void);
/* Apply one "assign" message (raw line kept for persistence). */
int		 assign_apply(const json_t *msg, const char *line, size_t len,
		    char **cause);
/* Apply the persisted assignment, if any. */
void		 assign_load(void);
/* The service of that name, or NULL. */
struct svc	*assign_find(const char *name);
/* What the assignment wants at that index, or NULL: no instance. */
const struct want *assign_want(const struct svc *, unsigned index);
/* The instance whose main process is `pid` (a scan), or NULL. */
struct inst	*assign_find_pid(pid_t pid);
/* Is every instance of the service ready (depends_on is satisfied)? */
bool		 assign_svc_ready(const struct svc *);
/* Call fn for every instance. */
void		 assign_foreach(void (*fn)(struct inst *, void *), void *);
/* Converge every instance held in `waiting` (a dependency changed). */
void		 assign_wake_waiting(void);
/* Converge every instance again (after shutdown was requested). */
void		 assign_converge_all(void);
/* Called when an instance of `svc` is removed; may free svc. */
void		 assign_svc_check(struct svc *);
json_t		*assign_inventory(void);
void		 assign_free_all(void);

/* supervise.c: the instance state machine. */
struct inst	*supervise_new(struct svc *, unsigned index);
void		 supervise_free(struct inst *);
void		 supervise_cleanup(void);
/* Level-triggered: make the instance match what its service wants. */
void		 supervise_converge(struct inst *);
json_t		*supervise_json(const struct inst *);
/* Send the instance to every connected droverd. */
void		 supervise_report(const struct inst *);
/*
 * Readiness decided by probes: running <-> ready, `why` completing the
 * log line; with readiness.notify, ready also needs READY=1. Returns
 * true when the state changed (and was reported).
 */
bool		 supervise_set_ready(struct inst *, bool ready,
		    const char *why);
/*
 * A probe wants the process replaced (liveness failing, startup never
 * passed): stop it; its exit then counts as a crash (backoff, limit).
 */
void		 supervise_unhealthy(struct inst *, const char *why);
/* A message on NOTIFY_SOCKET from one of the instance's processes. */
void		 supervise_notify(struct inst *, const struct notify_msg *);
const char	*supervise_state_name(enum inst_state);
enum inst_state	 supervise_state_parse(const char *);
/*
 * Take over a process a former worker left (adopt.c checked it is the
 * one recorded), in `state` (running or ready). `keepers`: it is the
 * keeper's child, and the keeper tells its exit; otherwise its pidfd does.
 */
void		 supervise_adopt(struct inst *, pid_t, int pidfd,
		    enum inst_state state, bool keepers);
/* An adopted process ended: its wait status, or -1 when unknown. */
void		 supervise_adopted_exit(struct inst *, int status);
/*
 * The environment of the instance's processes (malloc'd array; its
 * strings belong to the agent or to *own, which the caller frees with
 * strv_free): the agent's, the instance's, then `extra` (malloc'd
 * "NAME=value" strings, or NULL), which it takes over.
 */
char		**supervise_env(const struct inst *, char **extra,
		    char ***own);

/*
 * probe.c: health checks. Each instance whose spec has probes gets a
 * struct health with one check per distinct probe (a liveness probe
 * equal to the readiness probe, as the shorthand makes, is one check
 * serving both). Checks run while the process is running or ready,
 * every `interval`, the first ones spread over the interval; nothing
 * is scheduled for an instance without probes.
 */
struct health;
void		 probe_init(void);
void		 probe_cleanup(void);
/* Does readiness wait for a probe (startup or readiness)? */
bool		 probe_gates_ready(const struct manifest *);
/* Do the probes let the instance be ready (true when none gates it)? */
bool		 probe_ready(const struct inst *);
/* The process exec'd: start the checks of its spec. */
void		 probe_start(struct inst *);
/* The process stops or is gone: abandon the checks, keep the results. */
void		 probe_stop(struct inst *);
/*
 * The instance switched to a revision that differs in live settings:
 * checks whose probe did not change go on, the others start over.
 */
void		 probe_respec(struct inst *);
void		 probe_free(struct health *);
/* probe-stats.c: every check's duration, batched to droverd. */
void		 probe_stats_add(const char *svc, uint32_t ms);
void		 probe_stats_cleanup(void);
/* Adds health, health_failures, health_last and health_results. */
void		 probe_json(const struct inst *, json_t *);

/*
 * logs.c: each instance's stdout and stderr, through one pipe that
 * outlives restarts, into <state dir>/logs/<service>.<index>.log.
 */
struct logs;
/*
 * The fd the next process of `inst` writes its output to, for
 * spawn_req.outfd: -1 for the agent's own (logs.to: inherit). When
 * *owned is set the caller closes it once the process is started.
 */
int		 logs_output_fd(struct inst *, bool *owned);
/* Read what is left in the pipe, then close and free everything. */
void		 logs_free(struct logs *);
void		 logs_cleanup(void);

/* adopt.c: the record of instances, and adopting what it names. */
void		 adopt_init(void);
/* Read the record a former worker wrote (before the assignment). */
void		 adopt_load(void);
/* A new instance takes its record: counters, and its process if alive. */
void		 adopt_restore(struct inst *);
/* Kill what no record explained, drop what nobody took. */
void		 adopt_finish(void);
/* An instance changed: the record is rewritten after this loop pass. */
void		 adopt_touch(void);
/* Rewrite it now. */
void		 adopt_flush(void);
void		 adopt_free(void);

/* keeper.c: the agent's top process. */
struct keeper_args {
	char		 *logs_dir;
	char		 *log_path;	/* NULL: stderr */
	int		  ready_fd;	/* a waiting parent's pipe, or -1 */
	int		  lock_fd;	/* the agent's lock, or -1 */
	int		  state_fd;	/* re-exec'd: what it held, or -1 */
};
int		 keeper_main(struct keeper_args *);

/* fdmsg.c: text messages with fds, between the keeper and the worker. */
#define FDMSG_FDS_MAX	4
/* 0 or a negative errno; flags for sendmsg (MSG_DONTWAIT). */
int		 fdmsg_send(int sock, const char *text, const int *fds,
		    size_t nfds, int flags);
/* Length (text NUL-terminated), 0 at EOF, or a negative errno. */
ssize_t		 fdmsg_recv(int sock, char *buf, size_t cap, int flags,
		    int *fds, size_t *nfds);
/* A keeper's state for its exec: a memfd (*fd) written through the FILE. */
FILE		*fdmsg_state_new(int *fd);
/* A "hold" line; the fds stay open across the exec. */
void		 fdmsg_state_hold(FILE *, const char *key, const int *fds,
		    size_t nfds);
/* Close the FILE and rewind: returns the memfd, or a negative errno. */
int		 fdmsg_state_done(FILE *, int fd);

/* hold.c: the worker's side of the keeper. */
/* Read the keeper's hand-over (before the loop). 0 or -errno. */
int		 hold_init(int sock);
/* Listen for the keeper's messages (once agent.base exists). */
void		 hold_start(void);
bool		 hold_connected(void);
/* Have the keeper hold these fds under key (they stay the caller's). */
int		 hold_put(const char *key, const int *fds, size_t nfds);
/* The fds handed over under key (now the caller's); how many. */
size_t		 hold_take(const char *key, int *fds, size_t max);
/* The keeper closes what it holds under key. */
void		 hold_drop(const char *key);
/* Close and drop what was handed over and nobody took, forget the
 * exits nobody asked for. */
void		 hold_drop_untaken(void);
/* How a process ended while no worker ran (from the hand-over). */
int		 hold_exit_status(pid_t, int *status);
/* The keeper may forget how pid ended. */
void		 hold_forget(pid_t);
/* "ready", "bye", "upgrade". */
void		 hold_message(const char *what);
/* What the keeper holds, for a keeper exec'd from this worker: a memfd. */
int		 hold_save(void);
void		 hold_free(void);

/*
 * notify.c: the NOTIFY_SOCKET server, <run dir>/notify.sock, and the
 * watchdog deadlines.
 */
/* Bind the socket and watch it; 0 or a negative errno. */
int		 notify_open(const char *path);
void		 notify_close(void);
/* The socket's path (NULL before notify_open). */
const char	*notify_socket_path(void);
/* The instance process `pid` belongs to (cgroup, or process group), or
 * NULL. */
struct inst	*notify_sender(pid_t pid);
/* (Re)start the instance's watchdog deadline; none without a watchdog. */
void		 notify_watchdog_arm(struct inst *);
void		 notify_watchdog_stop(struct inst *);

/*
 * listen.c: the service's `listen` sockets, bound once and kept across
 * restarts and revisions that keep the address.
 */
struct listen_sock;
/*
 * The fds of m->listen's entries, in order, into fds[m->nlisten],
 * binding those not bound yet. 0, or a negative errno with a malloc'd
 * *cause ("listen http 127.0.0.1:8080: Address already in use").
 */
int		 listen_get(struct svc *, const struct manifest *m, int *fds,
		    char **cause);
/* Close the sockets that no revision of the service or its instances
 * lists any more. */
void		 listen_prune(struct svc *);
void		 listen_free_all(struct svc *);

/* spawn.c: fork/exec with hygiene. */
/* At most this many fds passed (LISTEN_FDS), and pid slots. */
#define SPAWN_FDS_MAX		64
#define SPAWN_PID_SLOTS		2
/* Room a pid slot has: the decimal pid and a NUL. */
#define SPAWN_PID_LEN		12
struct spawn_req {
	char *const	*argv;
	char *const	*envp;
	const char	*workdir;	/* NULL: the agent's cwd */
	int		 outfd;		/* stdout and stderr; -1: the agent's */
	uint64_t	 nofile;	/* 0: unchanged */
	const char	*user;		/* NULL: no switch */
	const char	*group;
	int		 cgroup_fd;	/* > 0: the cgroup to start in */
	const int	*fds;		/* given to the child as 3, 4, ... */
	unsigned	 nfds;		/* at most SPAWN_FDS_MAX */
	/*
	 * Where the child writes its own pid (SPAWN_PID_LEN bytes each,
	 * e.g. after "LISTEN_PID=" in envp): only it knows it before its
	 * exec. NULL: unused.
	 */
	char		*pid_slots[SPAWN_PID_SLOTS];
};
/* Early, so that the fd it keeps is a low one. */
int		 spawn_init(void);
/* Once the agent's signal handlers are installed. */
void		 spawn_save_signals(void);
void		 spawn_cleanup(void);
/* The agent's environment without what belongs to the agent itself. */
char *const	*spawn_base_env(void);
/*
 * Start a process; the result is known on return. Returns a negative
 * errno with a malloc'd *cause when nothing was started: -EAGAIN when
 * the process could not be created (worth retrying later), another
 * when the request cannot work as it is (unknown user, no root).
 * Otherwise returns the pid with a close-on-exec pidfd for it in
 * *pidfd; *cause is then NULL when the exec succeeded, or the reason
 * the child failed before it (the child exits 127 and must still be
 * reaped).
 */
pid_t		 spawn_start(const struct spawn_req *, int *pidfd, char **cause);

/* server.c: the agent-link listener and the connections to droverd. */
int		 server_probe(const char *path);
int		 server_listen(const char *path, char **cause);
void		 server_close_listener(void);
bool		 server_has_peers(void);
/* Send a message to every connected droverd (takes the reference). */
void		 server_broadcast(json_t *msg);
void		 server_free(void);

#endif
