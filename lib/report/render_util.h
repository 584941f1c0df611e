/* render_util.h — helpers the report's JSON (render_json.c) and HTML
 * (render_html.c) renderings share (render_util.c). Every string that comes
 * from the repository goes through report_json_str(n) or report_html_str(n). */
#ifndef HF_REPORT_RENDER_UTIL_H
#define HF_REPORT_RENDER_UTIL_H

#include <stdio.h>

#include "report/report.h"

void report_json_strn(FILE *f, const char *s, size_t n); /* a JSON string, quotes included */
void report_json_str(FILE *f, const char *s);
void report_html_strn(FILE *f, const char *s, size_t n); /* HTML text or attribute value */
void report_html_str(FILE *f, const char *s);
void report_time_str(int64_t ns, char *out, size_t cap); /* 2026-12-04T20:10:06Z */
void report_json_time(FILE *f, int64_t ns);              /* a time string, or null for 0 */
void report_id_hex(const uint8_t *id, char *out);        /* HF_ID_HEX_LEN + 1 bytes */
/* the restore --last-clean command, the repository quoted for a POSIX shell */
void report_recovery_command(const struct hf_report *rep, char *out, size_t cap);
uint64_t report_note_items(const struct hf_report_note *n, int kind); /* items of that kind */
void report_td_num(FILE *f, uint64_t v);                              /* <td class="n">v</td> */
void report_td_time(FILE *f, int64_t ns);                             /* <td>time or -</td> */

#endif
