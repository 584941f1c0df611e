/* cmd_scan.c — placeholder until the command lands (being written now). */
#include "cli.h"
#include "commands.h"

int cmd_scan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("not built yet");
	return HF_EXIT_ERROR;
}
