/*
 * spawn-clone3.h — clone3(2) with a function to run on a new stack.
 */
#ifndef DROVER_SPAWN_CLONE3_H
#define DROVER_SPAWN_CLONE3_H

#include <stdint.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP	0x200000000ULL
#endif

/* struct clone_args of <linux/sched.h>, up to `cgroup` (version 2). */
struct spawn_clone_args {
	uint64_t	flags;
	uint64_t	pidfd;		/* int *, with CLONE_PIDFD */
	uint64_t	child_tid;
	uint64_t	parent_tid;
	uint64_t	exit_signal;
	uint64_t	stack;		/* lowest address */
	uint64_t	stack_size;
	uint64_t	tls;
	uint64_t	set_tid;
	uint64_t	set_tid_size;
	uint64_t	cgroup;		/* fd, with CLONE_INTO_CGROUP */
};

/*
 * In the child, run fn(arg) on args->stack and exit with its result.
 * Returns the child's pid in the parent, or a negative errno (-ENOSYS
 * where this is not implemented for the architecture or the kernel).
 */
long	spawn_clone3(struct spawn_clone_args *, int (*fn)(void *), void *arg);

#endif
