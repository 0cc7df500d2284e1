/*
 * dashboard.c — GET /: the health dashboard.
 *
 * One self-contained page (dashboard.html: inline CSS and script, no
 * external resource of any kind), built into droverd as a C array (see
 * CMakeLists.txt). The page reads the same API as everyone else:
 * /api/v1/services for the table, /healthz for the agent, and
 * /api/v1/events as an EventSource to know when to read again. Its
 * Content-Security-Policy allows nothing but this origin and the page's
 * own inline code, so a service name can never become markup that runs.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "droverd.h"

extern const unsigned char	dashboard_html[];
extern const size_t		dashboard_html_len;

void
dashboard_serve(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "connect-src 'self'; style-src 'unsafe-inline'; "
	    "script-src 'unsafe-inline'; img-src data:; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evbuffer_add_reference(evhttp_request_get_output_buffer(req),
	    dashboard_html, dashboard_html_len, NULL, NULL);
	evhttp_send_reply(req, 200, NULL, NULL);
}
