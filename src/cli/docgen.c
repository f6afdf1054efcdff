/*
 * cli/docgen.c: the same help, in the other places people look for it: man
 * pages, Markdown pages and shell completion, rendered from the command
 * declarations exactly like --help. Nothing here is written per command;
 * a page can only say what a declaration holds.
 */
#include "cli/docgen.h"
#include "http/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/help.h"
#include "util/err.h"

/* ---- roff ---- */

/* Writes text escaped for roff: backslashes, and a leading '.' or '\''
 * that roff would read as a request. */
static void roff_text(FILE *f, const char *s, size_t n)
{
	bool line_start = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (line_start && (c == '.' || c == '\''))
			fputs("\\&", f);
		if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
		line_start = c == '\n';
	}
}

static void roff_str(FILE *f, const char *s)
{
	roff_text(f, s, strlen(s));
}

/* Paragraphs become .PP; lines that start with a space are kept verbatim
 * in a no-fill block, as help_wrap keeps them. */
static void roff_body(FILE *f, const char *text)
{
	const char *p = text;
	bool in_para = false, in_pre = false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 0) {
			in_para = false;
		} else if (p[0] == ' ') {
			if (!in_pre) {
				fputs(".PP\n.nf\n", f);
				in_pre = true;
			}
			roff_text(f, p, len);
			fputc('\n', f);
			in_para = false;
		} else {
			if (in_pre) {
				fputs(".fi\n", f);
				in_pre = false;
			}
			if (!in_para) {
				fputs(".PP\n", f);
				in_para = true;
			}
			roff_text(f, p, len);
			fputc('\n', f);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (in_pre)
		fputs(".fi\n", f);
}

static void upper(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < size; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : (src[i] == ' ' ? '-' : src[i]));
	dst[i] = '\0';
}

void docgen_man(FILE *f, const cli_command_t *cmd, const char *path)
{
	char title[160], dashed[160];
	snprintf(dashed, sizeof(dashed), "cjobs-%s", path);
	for (char *c = dashed; *c; c++)
		if (*c == ' ')
			*c = '-';
	if (!*path)
		snprintf(dashed, sizeof(dashed), "cjobs");
	upper(title, sizeof(title), dashed);
	fprintf(f, ".TH %s 1 \"\" \"cjobs %s\" \"cjobs manual\"\n", title, CJOBS_VERSION);
	fputs(".SH NAME\n", f);
	roff_str(f, dashed);
	fputs(" \\- ", f);
	roff_str(f, cmd->summary);
	fputs("\n.SH SYNOPSIS\n.B cjobs ", f);
	roff_str(f, path);
	fputs("\n", f);
	roff_str(f, cmd->usage ? cmd->usage : "[options]");
	fputc('\n', f);
	if (cmd->aliases && cmd->aliases[0]) {
		fputs(".PP\nAlso: ", f);
		for (const char *const *a = cmd->aliases; *a; a++) {
			roff_str(f, *a);
			fputs(a[1] ? ", " : "\n", f);
		}
	}
	if (cmd->description) {
		fputs(".SH DESCRIPTION\n", f);
		roff_body(f, cmd->description);
	}
	if (cmd->subcommands) {
		fputs(".SH SUBCOMMANDS\n", f);
		for (const cli_command_t *const *s = cmd->subcommands; *s; s++) {
			fputs(".TP\n.B ", f);
			roff_str(f, (*s)->name);
			fputc('\n', f);
			roff_str(f, (*s)->summary);
			fputc('\n', f);
		}
	}
	if (cmd->options && cmd->options[0].name) {
		fputs(".SH OPTIONS\n", f);
		for (const cli_option_t *o = cmd->options; o->name; o++) {
			fputs(".TP\n.B ", f);
			if (o->short_name)
				fprintf(f, "\\-%c, ", o->short_name);
			fputs("\\-\\-", f);
			roff_str(f, o->name);
			if (o->type != OPT_FLAG) {
				fputs(" \\fI", f);
				roff_str(f, o->metavar ? o->metavar : "VALUE");
				fputs("\\fR", f);
			}
			fputc('\n', f);
			roff_str(f, o->help);
			char *facts = help_option_facts(o);
			if (facts) {
				fputc(' ', f);
				roff_str(f, facts);
			}
			free(facts);
			fputc('\n', f);
		}
	}
	if (cmd->examples && cmd->examples[0].line) {
		fputs(".SH EXAMPLES\n", f);
		for (const cli_example_t *e = cmd->examples; e->line; e++) {
			fputs(".PP\n", f);
			roff_str(f, e->says);
			if (e->exit_code)
				fprintf(f, " (exits %d)", e->exit_code);
			fputs(":\n.PP\n.nf\n.RS\n", f);
			roff_str(f, e->line);
			fputs("\n.RE\n.fi\n", f);
		}
	}
	for (const cli_section_t *s = cmd->sections; s && s->title; s++) {
		upper(title, sizeof(title), s->title);
		for (char *c = title; *c; c++)
			if (*c == '-')
				*c = ' ';
		fputs(".SH ", f);
		roff_str(f, title);
		fputc('\n', f);
		roff_body(f, s->body);
	}
	if (cmd->warning) {
		fputs(".SH WARNING\n", f);
		roff_body(f, cmd->warning);
	}
	if (cmd->errors && cmd->errors[0].message) {
		fputs(".SH COMMON ERRORS\n", f);
		for (const cli_error_doc_t *e = cmd->errors; e->message; e++) {
			fputs(".TP\n", f);
			roff_str(f, e->message);
			fputs("\nCause: ", f);
			roff_str(f, e->cause);
			fputs("\n.br\nFix: ", f);
			roff_str(f, e->fix);
			fputc('\n', f);
		}
	}
	fputs(".SH EXIT CODES\n", f);
	if (cmd->exit_codes && cmd->exit_codes[0].meaning) {
		for (const cli_exit_doc_t *e = cmd->exit_codes; e->meaning; e++) {
			fprintf(f, ".TP\n.B %d\n", e->code);
			roff_str(f, e->meaning);
			fputc('\n', f);
		}
	} else {
		fputs(".TP\n.B 0\nSuccess.\n.TP\n.B 1\n", f);
		roff_str(f, HELP_DEFAULT_EXIT_1);
		fputc('\n', f);
	}
	fputs(".SH SEE ALSO\n", f);
	fputs(*path ? "\\fBcjobs\\fR(1)" : "", f);
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++) {
		fprintf(f, ", \\fB%s\\-", dashed);
		roff_str(f, (*s)->name);
		fputs("\\fR(1)", f);
	}
	fputc('\n', f);
}

/* ---- Markdown ---- */

/* Writes a Markdown paragraph body: verbatim lines become a code block. */
static void md_body(FILE *f, const char *text)
{
	const char *p = text;
	bool in_pre = false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool pre = len > 0 && p[0] == ' ';
		if (pre && !in_pre)
			fputs("\n```\n", f);
		if (!pre && in_pre)
			fputs("```\n\n", f);
		in_pre = pre;
		fwrite(p, 1, len, f);
		fputc('\n', f);
		if (!nl)
			break;
		p = nl + 1;
	}
	if (in_pre)
		fputs("```\n", f);
}

void docgen_markdown(FILE *f, const cli_command_t *cmd, const char *path)
{
	fprintf(f, "# cjobs %s\n\n%s\n\n", path, cmd->summary);
	fprintf(f, "```\ncjobs %s %s\n```\n", path, cmd->usage ? cmd->usage : "[options]");
	if (cmd->aliases && cmd->aliases[0]) {
		fputs("\nAlso: ", f);
		for (const char *const *a = cmd->aliases; *a; a++)
			fprintf(f, "`%s`%s", *a, a[1] ? ", " : "\n");
	}
	if (cmd->description) {
		fputs("\n## Description\n\n", f);
		md_body(f, cmd->description);
	}
	if (cmd->subcommands) {
		fputs("\n## Subcommands\n\n", f);
		for (const cli_command_t *const *s = cmd->subcommands; *s; s++)
			fprintf(f, "- [`%s`](%s-%s.md): %s\n", (*s)->name, path, (*s)->name,
				(*s)->summary);
	}
	if (cmd->options && cmd->options[0].name) {
		fputs("\n## Options\n\n", f);
		for (const cli_option_t *o = cmd->options; o->name; o++) {
			fputs("- `", f);
			if (o->short_name)
				fprintf(f, "-%c, ", o->short_name);
			fprintf(f, "--%s", o->name);
			if (o->type != OPT_FLAG)
				fprintf(f, " %s", o->metavar ? o->metavar : "VALUE");
			char *facts = help_option_facts(o);
			fprintf(f, "`: %s %s\n", o->help, facts ? facts : "");
			free(facts);
		}
	}
	fputs("\nGlobal options (every command): `--database STORE`, `--config FILE`, "
	      "`--verbosity 0..3`, `-v`, `-q`, `--version`, `--help`.\n",
	      f);
	if (cmd->examples && cmd->examples[0].line) {
		fputs("\n## Usage examples\n", f);
		for (const cli_example_t *e = cmd->examples; e->line; e++) {
			fprintf(f, "\n%s", e->says);
			if (e->exit_code)
				fprintf(f, " (exits %d)", e->exit_code);
			fprintf(f, ":\n\n```\n%s\n```\n", e->line);
		}
	}
	for (const cli_section_t *s = cmd->sections; s && s->title; s++) {
		fprintf(f, "\n## %s\n\n", s->title);
		md_body(f, s->body);
	}
	if (cmd->warning)
		fprintf(f, "\n## Warning\n\n**%s**\n", cmd->warning);
	if (cmd->errors && cmd->errors[0].message) {
		fputs("\n## Common errors\n", f);
		for (const cli_error_doc_t *e = cmd->errors; e->message; e++)
			fprintf(f, "\n```\n%s\n```\n\nCause: %s\n\nFix: %s\n", e->message, e->cause, e->fix);
	}
	fputs("\n## Exit codes\n\n", f);
	if (cmd->exit_codes && cmd->exit_codes[0].meaning) {
		for (const cli_exit_doc_t *e = cmd->exit_codes; e->meaning; e++)
			fprintf(f, "- %d: %s\n", e->code, e->meaning);
	} else {
		fprintf(f, "- 0: Success.\n- 1: %s\n", HELP_DEFAULT_EXIT_1);
	}
}

/* ---- completion ---- */

static void options_words(FILE *f, const cli_command_t *cmd)
{
	for (const cli_option_t *o = cmd->options; o && o->name; o++)
		fprintf(f, " --%s", o->name);
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		fprintf(f, " --%s", o->name);
}

static void bash_cases(FILE *f, const cli_command_t *cmd, const char *path)
{
	fprintf(f, "\t\"%s\")\n\t\twords=\"", path);
	if (cmd->subcommands)
		for (const cli_command_t *const *s = cmd->subcommands; *s; s++)
			fprintf(f, "%s%s", s == cmd->subcommands ? "" : " ", (*s)->name);
	else
		options_words(f, cmd);
	fputs("\"\n", f);
	/* Values of choice and yes/no options complete too. */
	for (const cli_option_t *o = cmd->options; o && o->name; o++) {
		if (o->type == OPT_CHOICE || o->type == OPT_BOOL) {
			fprintf(f, "\t\t[ \"$prev\" = \"--%s\" ] && words=\"", o->name);
			if (o->type == OPT_BOOL)
				fputs("yes no", f);
			else
				for (const char *const *c = o->choices; *c; c++)
					fprintf(f, "%s%s", c == o->choices ? "" : " ", *c);
			fputs("\"\n", f);
		}
	}
	fputs("\t\t;;\n", f);
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s %s", path, (*s)->name);
		bash_cases(f, *s, sub);
	}
}

void docgen_bash(FILE *f)
{
	fprintf(f, "# bash completion for cjobs %s, generated from its command tables.\n",
		CJOBS_VERSION);
	fputs("_cjobs() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal path=\"\" w i words\n"
	      "\t# The command path: the words before the cursor that are not options\n"
	      "\t# (at most two: a command and its subcommand).\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tcase $w in\n"
	      "\t\t--) return 0 ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*) case \"${COMP_WORDS[i-1]}\" in\n"
	      "\t\t\t--database|--config|--verbosity) continue ;;\n"
	      "\t\t\tesac\n"
	      "\t\t\tlocal try=${path:+$path }$w\n"
	      "\t\t\tcase \"|$(_cjobs_paths)|\" in *\"|$try|\"*) path=$try ;; esac ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tcase \"$path\" in\n"
	      "\t\"\")\n\t\twords=\"",
	      f);
	for (const cli_command_t *const *c = cli_commands; *c; c++) {
		fprintf(f, "%s%s", c == cli_commands ? "" : " ", (*c)->name);
		for (const char *const *a = (*c)->aliases; a && *a; a++)
			fprintf(f, " %s", *a);
	}
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		fprintf(f, " --%s", o->name);
	fputs("\"\n\t\t;;\n", f);
	for (const cli_command_t *const *c = cli_commands; *c; c++) {
		bash_cases(f, *c, (*c)->name);
		for (const char *const *a = (*c)->aliases; a && *a; a++)
			bash_cases(f, *c, *a);
	}
	fputs("\tesac\n"
	      "\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	      "}\n"
	      "_cjobs_paths() {\n\techo \"",
	      f);
	for (const cli_command_t *const *c = cli_commands; *c; c++) {
		const char *names[8] = {(*c)->name};
		size_t nn = 1;
		for (const char *const *a = (*c)->aliases; a && *a && nn < 8; a++)
			names[nn++] = *a;
		for (size_t k = 0; k < nn; k++) {
			fprintf(f, "%s%s", c == cli_commands && k == 0 ? "" : "|", names[k]);
			for (const cli_command_t *const *s = (*c)->subcommands; s && *s; s++)
				fprintf(f, "|%s %s", names[k], (*s)->name);
		}
	}
	fputs("\"\n}\ncomplete -F _cjobs cjobs\n", f);
}

void docgen_zsh(FILE *f)
{
	fputs("#compdef cjobs\n"
	      "# zsh completion for cjobs: the bash completion, through zsh's bashcompinit.\n"
	      "autoload -U +X bashcompinit && bashcompinit\n",
	      f);
	docgen_bash(f);
}

/* ---- writing every page ---- */

static int write_file(const char *dir, const char *name, void (*gen)(FILE *, const cli_command_t *, const char *),
		      const cli_command_t *cmd, const char *path, char **err)
{
	char *file = NULL;
	if (asprintf(&file, "%s/%s", dir, name) < 0)
		return err_set(err, "out of memory");
	FILE *f = fopen(file, "w");
	if (!f) {
		err_set(err, "cannot write %s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	gen(f, cmd, path);
	int rc = fclose(f) == 0 ? 0 : err_set(err, "cannot write %s: %s", file, strerror(errno));
	free(file);
	return rc;
}

static void gen_openapi(FILE *f, const cli_command_t *cmd, const char *path)
{
	(void)cmd;
	(void)path;
	http_write_openapi(f);
}

static void gen_api_markdown(FILE *f, const cli_command_t *cmd, const char *path)
{
	(void)cmd;
	(void)path;
	http_write_api_markdown(f);
}

static const cli_command_t overview = {
	.name = "",
	.summary = "run container jobs on Docker engines",
	.usage = "[global options] COMMAND [options] [arguments]",
	.description = HELP_OVERVIEW_TEXT,
	.options = cli_global_options,
};

static int write_command(const char *dir, const cli_command_t *cmd, const char *path, char **err)
{
	char dashed[160], name[200];
	snprintf(dashed, sizeof(dashed), "%s", path);
	for (char *c = dashed; *c; c++)
		if (*c == ' ')
			*c = '-';
	snprintf(name, sizeof(name), "man/cjobs-%s.1", dashed);
	if (write_file(dir, name, docgen_man, cmd, path, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "commands/%s.md", dashed);
	if (write_file(dir, name, docgen_markdown, cmd, path, err) < 0)
		return -1;
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s %s", path, (*s)->name);
		if (write_command(dir, *s, sub, err) < 0)
			return -1;
	}
	return 0;
}

static void gen_bash(FILE *f, const cli_command_t *c, const char *p)
{
	(void)c;
	(void)p;
	docgen_bash(f);
}

static void gen_zsh(FILE *f, const cli_command_t *c, const char *p)
{
	(void)c;
	(void)p;
	docgen_zsh(f);
}

static void troubleshooting_command(FILE *f, const cli_command_t *cmd, const char *path)
{
	if (cmd->errors && cmd->errors[0].message) {
		fprintf(f, "\n## cjobs %s\n", path);
		for (const cli_error_doc_t *e = cmd->errors; e->message; e++) {
			fprintf(f, "\n```\n%s\n```\n\nCause: %s\n\nFix: %s\n", e->message, e->cause,
				e->fix);
			if (e->trigger)
				fprintf(f, "\nFor example after: `%s`\n", e->trigger);
		}
	}
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s %s", path, (*s)->name);
		troubleshooting_command(f, *s, sub);
	}
}

/* docs/troubleshooting.md: every documented error, its cause and its fix. */
static void gen_troubleshooting(FILE *f, const cli_command_t *c, const char *p)
{
	(void)c;
	(void)p;
	fputs("# Troubleshooting\n\n"
	      "Every error message that the commands' help documents, with its cause and its "
	      "fix, gathered from the same declarations as `cjobs help` (this page is generated; "
	      "the test suite produces each message with the command shown).\n\n"
	      "Errors are one line on standard error, starting with `cjobs: error:`, followed by "
	      "a pointer to the command's help. Run with `--verbosity 2` (or `-v`) for each step "
	      "a command takes, `--verbosity 3` for each container request of the worker.\n",
	      f);
	for (const cli_command_t *const *cmd = cli_commands; *cmd; cmd++)
		troubleshooting_command(f, *cmd, (*cmd)->name);
}

int docgen_write_all(const char *dir, char **err)
{
	static const char *const subdirs[] = {"", "/man", "/commands", "/completion", "/api"};
	for (size_t i = 0; i < 5; i++) {
		char *d = NULL;
		if (asprintf(&d, "%s%s", dir, subdirs[i]) < 0)
			return err_set(err, "out of memory");
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			err_set(err, "cannot create %s: %s", d, strerror(errno));
			free(d);
			return -1;
		}
		free(d);
	}
	if (write_file(dir, "man/cjobs.1", docgen_man, &overview, "", err) < 0 ||
	    write_file(dir, "troubleshooting.md", gen_troubleshooting, NULL, NULL, err) < 0)
		return -1;
	for (const cli_command_t *const *c = cli_commands; *c; c++)
		if (write_command(dir, *c, (*c)->name, err) < 0)
			return -1;
	if (write_file(dir, "completion/cjobs.bash", gen_bash, NULL, NULL, err) < 0 ||
	    write_file(dir, "completion/_cjobs", gen_zsh, NULL, NULL, err) < 0 ||
	    write_file(dir, "api/openapi.json", gen_openapi, NULL, NULL, err) < 0 ||
	    write_file(dir, "api/README.md", gen_api_markdown, NULL, NULL, err) < 0)
		return -1;
	return 0;
}
