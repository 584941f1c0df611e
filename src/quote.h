/* quote.h — names made safe to print for a person: every path a command
 * prints as text goes through here, so that a name cannot move the cursor,
 * change the terminal's colours or title, or split itself over two lines.
 * JSON output has its own escaping (cli_json_str). */
#ifndef HF_QUOTE_H
#define HF_QUOTE_H

#include <stdio.h>

/* Writes s with C-style escapes: \a \b \t \n \v \f \r \e, \\ for a
 * backslash, and \xNN for any other control character (C0, DEL, the UTF-8
 * encoded C1 controls) and for every byte that is not part of valid UTF-8.
 * Everything else, valid UTF-8 included, is written as it is. */
void cli_quote_put(FILE *f, const char *s);

/* the same, as a new string (free it) */
char *cli_quote(const char *s);

#endif
