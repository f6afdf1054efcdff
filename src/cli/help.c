/*
 * cli/help.c: renders help from the command tables, in the structure the
 * specification asks for: summary, usage, description, options (with
 * default, range, config key and environment variable), examples, the
 * command's own sections (flow, signals, notes), a marked warning, common
 * errors with cause and fix, and exit codes. Nothing here is written per
 * command: a command's help can only say what its declaration holds.
 */
#include "cli/help.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/strbuf.h"

int help_width(FILE *f)
{
	int w = 80;
	const char *cols = getenv("COLUMNS");
	struct winsize ws;
	if (cols && atoi(cols) > 0)
		w = atoi(cols);
	else if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		w = ws.ws_col;
	if (w > 100)
		w = 100;
	if (w < 40)
		w = 40;
	return w;
}

/* Wraps one paragraph (no newlines inside) at width. */
static void wrap_paragraph(FILE *f, const char *p, size_t len, int indent, int width)
{
	int col = 0;
	size_t i = 0;
	while (i < len) {
		while (i < len && p[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && p[i] != ' ')
			i++;
		int wlen = (int)(i - start);
		if (wlen == 0)
			break;
		if (col > 0 && col + 1 + wlen > width - indent) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0)
			fprintf(f, "%*s", indent, "");
		else {
			fputc(' ', f);
			col++;
		}
		fwrite(p + start, 1, (size_t)wlen, f);
		col += wlen;
	}
	if (col > 0)
		fputc('\n', f);
}

void help_wrap(FILE *f, const char *text, int indent, int width)
{
	const char *p = text;
	strbuf_t para = STRBUF_INIT;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 0) {
			if (para.len) {
				wrap_paragraph(f, para.buf, para.len, indent, width);
				sb_reset(&para);
			}
			fputc('\n', f);
		} else if (p[0] == ' ') {
			if (para.len) {
				wrap_paragraph(f, para.buf, para.len, indent, width);
				sb_reset(&para);
			}
			fprintf(f, "%*s%.*s\n", indent, "", (int)len, p);
		} else {
			if (para.len)
				sb_putc(&para, ' ');
			sb_append(&para, p, len);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (para.len)
		wrap_paragraph(f, para.buf, para.len, indent, width);
	sb_free(&para);
}

static const char *type_range(const cli_option_t *o, strbuf_t *sb)
{
	bool any = o->min == 0 && o->max == 0;
	switch (o->type) {
	case OPT_INT:
		if (!any)
			sb_printf(sb, " Range: %lld to %lld.", (long long)o->min, (long long)o->max);
		break;
	case OPT_DURATION:
		if (any)
			sb_puts(sb, " A duration: 90, 90s, 5m, 2h or 1d.");
		else
			sb_printf(sb, " Range: %lld to %lld seconds (90, 90s, 5m, 2h or 1d).",
				  (long long)o->min, (long long)o->max);
		break;
	case OPT_SIZE:
		sb_puts(sb, " A size in bytes, with k, m, g or t for powers of 1024 (512m, 2g).");
		break;
	case OPT_CPUS:
		sb_puts(sb, " Range: 0.01 to 1024 CPUs, fractions allowed (0.5); 0 for no limit.");
		break;
	case OPT_DECIMAL:
		sb_printf(sb, " Range: %g to %g, up to three decimals (1.5).", (double)o->min / 1000.0,
			  (double)o->max / 1000.0);
		break;
	case OPT_WHEN:
		sb_puts(sb, " A time (UTC): now, -7d (that long ago), +10m (that long from now), "
			"2026-11-24T22:00:00Z or @UNIXSECONDS.");
		break;
	case OPT_CHOICE:
		sb_puts(sb, " Values: ");
		for (const char *const *c = o->choices; *c; c++)
			sb_printf(sb, "%s%s", *c, c[1] ? ", " : ".");
		break;
	case OPT_BOOL:
		sb_puts(sb, " Values: yes or no.");
		break;
	default:
		break;
	}
	return sb->buf;
}

char *help_option_facts(const cli_option_t *o)
{
	strbuf_t sb = STRBUF_INIT;
	if (o->type == OPT_FLAG)
		sb_puts(&sb, o->repeat ? "Default: off; may be repeated." : "Default: off.");
	else if (o->def)
		sb_printf(&sb, "Default: %s.", o->def);
	else if (!strstr(o->help, "Default: "))
		sb_puts(&sb, "Default: none.");
	/* else its help says the default in words (a computed one) */
	type_range(o, &sb);
	if (o->repeat && o->type != OPT_FLAG)
		sb_puts(&sb, " May be given more than once.");
	if (o->config) {
		const char *dot = strchr(o->config, '.');
		sb_printf(&sb, " Config: [%.*s] %s.", (int)(dot - o->config), o->config, dot + 1);
	}
	if (o->env)
		sb_printf(&sb, " Environment: %s.", o->env);
	return sb_steal(&sb);
}

static void print_option(FILE *f, const cli_option_t *o, int width)
{
	if (o->short_name)
		fprintf(f, "  -%c, --%s", o->short_name, o->name);
	else
		fprintf(f, "  --%s", o->name);
	if (o->type != OPT_FLAG)
		fprintf(f, " %s", o->metavar ? o->metavar : "VALUE");
	fputc('\n', f);
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, o->help);
	char *facts = help_option_facts(o);
	if (facts)
		sb_printf(&sb, " %s", facts);
	free(facts);
	if (sb.buf)
		help_wrap(f, sb.buf, 6, width);
	sb_free(&sb);
}

static void heading(FILE *f, const char *title)
{
	fprintf(f, "\n%s:\n", title);
}


void help_command(FILE *f, const cli_command_t *cmd, const char *path)
{
	int width = help_width(f);
	fprintf(f, "cjobs %s - %s\n\n", path, cmd->summary);
	fprintf(f, "Usage: cjobs %s %s\n", path, cmd->usage ? cmd->usage : "[options]");
	if (cmd->aliases && cmd->aliases[0]) {
		fprintf(f, "Also: ");
		for (const char *const *a = cmd->aliases; *a; a++)
			fprintf(f, "%s%s", *a, a[1] ? ", " : "\n");
	}
	if (cmd->description) {
		fputc('\n', f);
		help_wrap(f, cmd->description, 0, width);
	}
	if (cmd->subcommands) {
		heading(f, "Subcommands");
		for (const cli_command_t *const *s = cmd->subcommands; *s; s++)
			fprintf(f, "  %-14s %s\n", (*s)->name, (*s)->summary);
		fprintf(f, "\nRun 'cjobs %s SUBCOMMAND --help' for the details of each.\n", path);
	}
	if (cmd->options && cmd->options[0].name) {
		heading(f, "Options");
		for (const cli_option_t *o = cmd->options; o->name; o++)
			print_option(f, o, width);
	}
	fprintf(f, "\nGlobal options (accepted by every command): --database STORE, --config FILE,\n"
		   "--verbosity 0..3, -v, -q, --version, --help. See 'cjobs help'.\n");
	if (cmd->examples && cmd->examples[0].line) {
		heading(f, "Usage Examples");
		for (const cli_example_t *e = cmd->examples; e->line; e++) {
			strbuf_t sb = STRBUF_INIT;
			sb_printf(&sb, "# %s", e->says);
			if (e->exit_code)
				sb_printf(&sb, " (exits %d)", e->exit_code);
			help_wrap(f, sb.buf ? sb.buf : "", 4, width);
			sb_free(&sb);
			fprintf(f, "    %s\n", e->line);
			if (e[1].line)
				fputc('\n', f);
		}
	}
	for (const cli_section_t *s = cmd->sections; s && s->title; s++) {
		heading(f, s->title);
		help_wrap(f, s->body, 4, width);
	}
	if (cmd->warning) {
		heading(f, "WARNING");
		help_wrap(f, cmd->warning, 4, width);
	}
	if (cmd->errors && cmd->errors[0].message) {
		heading(f, "Common Errors");
		for (const cli_error_doc_t *e = cmd->errors; e->message; e++) {
			fprintf(f, "  %s\n", e->message);
			strbuf_t sb = STRBUF_INIT;
			sb_printf(&sb, "Cause: %s", e->cause);
			help_wrap(f, sb.buf ? sb.buf : "", 6, width);
			sb_reset(&sb);
			sb_printf(&sb, "Fix: %s", e->fix);
			help_wrap(f, sb.buf ? sb.buf : "", 6, width);
			sb_free(&sb);
		}
	}
	heading(f, "Exit Codes");
	if (cmd->exit_codes && cmd->exit_codes[0].meaning) {
		for (const cli_exit_doc_t *e = cmd->exit_codes; e->meaning; e++) {
			strbuf_t sb = STRBUF_INIT;
			sb_printf(&sb, "%d: %s", e->code, e->meaning);
			help_wrap(f, sb.buf ? sb.buf : "", 4, width);
			sb_free(&sb);
		}
	} else {
		help_wrap(f, "0: Success.", 4, width);
		help_wrap(f, "1: " HELP_DEFAULT_EXIT_1, 4, width);
	}
}

void help_overview(FILE *f)
{
	int width = help_width(f);
	fprintf(f, "cjobs %s - run container jobs on Docker engines\n\n", CJOBS_VERSION);
	fprintf(f, "Usage: cjobs [global options] COMMAND [options] [arguments]\n\n");
	help_wrap(f, HELP_OVERVIEW_TEXT, 0, width);
	const char *groups[16];
	size_t ngroups = 0;
	for (const cli_command_t *const *c = cli_commands; *c; c++) {
		bool seen = false;
		for (size_t g = 0; g < ngroups; g++)
			seen = seen || strcmp(groups[g], (*c)->group) == 0;
		if (!seen && ngroups < 16)
			groups[ngroups++] = (*c)->group;
	}
	for (size_t g = 0; g < ngroups; g++) {
		heading(f, groups[g]);
		for (const cli_command_t *const *c = cli_commands; *c; c++)
			if (strcmp((*c)->group, groups[g]) == 0)
				fprintf(f, "  %-14s %s\n", (*c)->name, (*c)->summary);
	}
	heading(f, "Global options");
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		print_option(f, o, width);
	fprintf(f, "\nRun 'cjobs help COMMAND' or 'cjobs COMMAND --help' for a command's full help.\n");
}
