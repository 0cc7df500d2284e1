/*
 * log.h — one logging shape for the three programs.
 *
 * Lines go to stderr as "2026-11-25T10:00:00.123Z droverd[42]: info: text"
 * (or to the file set by log_open_file). Messages below the level are
 * dropped before formatting.
 */
#ifndef DROVER_LOG_H
#define DROVER_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void	log_init(const char *progname, enum log_level);
/* Parse "debug", "info", "warn", "error"; returns 0 or -EINVAL. */
int	log_level_parse(const char *, enum log_level *);
void	log_set_level(enum log_level);
/* Redirect to a file (appending); returns 0 or a negative errno. */
int	log_open_file(const char *path);

void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
