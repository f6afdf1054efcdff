# bash completion for cjobs 0.1.0, generated from its command tables.
_cjobs() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local path="" w i words
	# The command path: the words before the cursor that are not options
	# (at most two: a command and its subcommand).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--) return 0 ;;
		-*) ;;
		*) case "${COMP_WORDS[i-1]}" in
			--database|--config|--verbosity) continue ;;
			esac
			local try=${path:+$path }$w
			case "|$(_cjobs_paths)|" in *"|$try|"*) path=$try ;; esac ;;
		esac
	done
	case "$path" in
	"")
		words="process-jobs process_jobs manage-jobs manage_jobs job run schedule host template token serve db dev help --database --config --verbosity --verbose --quiet --version --help"
		;;
	"process-jobs")
		words=" --daemon --wait-retries --host --max-jobs --poll-interval --timeout --output-limit --shutdown-timeout --store-timeout --database --config --verbosity --verbose --quiet --version --help"
		;;
	"process_jobs")
		words=" --daemon --wait-retries --host --max-jobs --poll-interval --timeout --output-limit --shutdown-timeout --store-timeout --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage-jobs")
		words="cleanup cancel status health-check report retry"
		;;
	"manage-jobs cleanup")
		words=" --days --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage-jobs cancel")
		words=" --job-id --host --reason --grace --output-limit --cascade --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage-jobs status")
		words=" --detailed --host --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"manage-jobs health-check")
		words=" --host --timeout --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"manage-jobs report")
		words=" --since --until --host --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json csv"
		;;
	"manage-jobs retry")
		words=" --job-id --host --since --timeout --memory --cpus --priority --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage_jobs")
		words="cleanup cancel status health-check report retry"
		;;
	"manage_jobs cleanup")
		words=" --days --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage_jobs cancel")
		words=" --job-id --host --reason --grace --output-limit --cascade --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"manage_jobs status")
		words=" --detailed --host --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"manage_jobs health-check")
		words=" --host --timeout --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"manage_jobs report")
		words=" --since --until --host --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json csv"
		;;
	"manage_jobs retry")
		words=" --job-id --host --since --timeout --memory --cpus --priority --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"job")
		words="submit list show logs wait"
		;;
	"job submit")
		words=" --image --name --host --env --env-file --template --priority --memory --cpus --timeout --max-retries --retry-strategy --retry-delay --retry-factor --retry-max-delay --retry-on-exit-code --workdir --at --after --volume --mount --tmpfs --user --entrypoint --hostname --label --network --pull --read-only --shm-size --init --cap-add --cap-drop --security-opt --gpus --file --count --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--retry-strategy" ] && words="default aggressive conservative"
		[ "$prev" = "--pull" ] && words="always missing never"
		;;
	"job list")
		words=" --status --host --waiting --name --image --schedule --since --until --limit --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json csv"
		;;
	"job show")
		words=" --format --show-secrets --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="text json"
		;;
	"job logs")
		words=" --stream --attempt --follow --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--stream" ] && words="both stdout stderr"
		;;
	"job wait")
		words=" --timeout --database --config --verbosity --verbose --quiet --version --help"
		;;
	"run")
		words=" --image --name --host --env --env-file --template --priority --memory --cpus --timeout --max-retries --retry-strategy --retry-delay --retry-factor --retry-max-delay --retry-on-exit-code --workdir --at --after --volume --mount --tmpfs --user --entrypoint --hostname --label --network --pull --read-only --shm-size --init --cap-add --cap-drop --security-opt --gpus --detach --grace --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--retry-strategy" ] && words="default aggressive conservative"
		[ "$prev" = "--pull" ] && words="always missing never"
		;;
	"schedule")
		words="add list show pause resume run remove"
		;;
	"schedule add")
		words=" --cron --tz --concurrency --catch-up --keep --image --name --host --env --env-file --template --priority --memory --cpus --timeout --max-retries --retry-strategy --retry-delay --retry-factor --retry-max-delay --retry-on-exit-code --workdir --volume --mount --tmpfs --user --entrypoint --hostname --label --network --pull --read-only --shm-size --init --cap-add --cap-drop --security-opt --gpus --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--concurrency" ] && words="allow forbid replace"
		[ "$prev" = "--catch-up" ] && words="one none"
		[ "$prev" = "--retry-strategy" ] && words="default aggressive conservative"
		[ "$prev" = "--pull" ] && words="always missing never"
		;;
	"schedule list")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"schedule show")
		words=" --format --show-secrets --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"schedule pause")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"schedule resume")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"schedule run")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"schedule remove")
		words=" --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"host")
		words="add list show update remove enable disable"
		;;
	"host add")
		words=" --url --max-jobs --weight --pull --network --tls-ca --tls-cert --tls-key --tls-verify --allow-bind --allow-cap-add --allow-gpus --registry-auth --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--pull" ] && words="yes no"
		[ "$prev" = "--tls-verify" ] && words="yes no"
		[ "$prev" = "--allow-gpus" ] && words="yes no"
		;;
	"host list")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json csv"
		;;
	"host show")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="text json"
		;;
	"host update")
		words=" --url --max-jobs --weight --pull --network --tls-ca --tls-cert --tls-key --tls-verify --allow-bind --allow-cap-add --allow-gpus --registry-auth --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--pull" ] && words="yes no"
		[ "$prev" = "--tls-verify" ] && words="yes no"
		[ "$prev" = "--allow-gpus" ] && words="yes no"
		;;
	"host remove")
		words=" --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"host enable")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"host disable")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"template")
		words="add list show remove"
		;;
	"template add")
		words=" --env --env-file --description --database --config --verbosity --verbose --quiet --version --help"
		;;
	"template list")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"template show")
		words=" --show-secrets --database --config --verbosity --verbose --quiet --version --help"
		;;
	"template remove")
		words=" --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"token")
		words="create list revoke"
		;;
	"token create")
		words=" --scope --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--scope" ] && words="read submit admin"
		;;
	"token list")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="table json"
		;;
	"token revoke")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"serve")
		words=" --listen --tls-cert --tls-key --threads --max-connections --idle-timeout --grace --output-limit --database --config --verbosity --verbose --quiet --version --help"
		;;
	"db")
		words="migrate status check vacuum backup copy"
		;;
	"db migrate")
		words=" --dry-run --database --config --verbosity --verbose --quiet --version --help"
		;;
	"db status")
		words=" --format --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="text json"
		;;
	"db check")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"db vacuum")
		words=" --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"db backup")
		words=" --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"db copy")
		words=" --to --force --dry-run --database --config --verbosity --verbose --quiet --version --help"
		;;
	"dev")
		words="sample-data test-job validate-config"
		;;
	"dev sample-data")
		words=" --count --url --clear --dry-run --force --database --config --verbosity --verbose --quiet --version --help"
		;;
	"dev test-job")
		words=" --host --image --timeout --database --config --verbosity --verbose --quiet --version --help"
		;;
	"dev validate-config")
		words=" --database --config --verbosity --verbose --quiet --version --help"
		;;
	"help")
		words=" --examples --errors --format --completion --write-docs --database --config --verbosity --verbose --quiet --version --help"
		[ "$prev" = "--format" ] && words="text man markdown"
		[ "$prev" = "--completion" ] && words="bash zsh"
		;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_cjobs_paths() {
	echo "process-jobs|process_jobs|manage-jobs|manage-jobs cleanup|manage-jobs cancel|manage-jobs status|manage-jobs health-check|manage-jobs report|manage-jobs retry|manage_jobs|manage_jobs cleanup|manage_jobs cancel|manage_jobs status|manage_jobs health-check|manage_jobs report|manage_jobs retry|job|job submit|job list|job show|job logs|job wait|run|schedule|schedule add|schedule list|schedule show|schedule pause|schedule resume|schedule run|schedule remove|host|host add|host list|host show|host update|host remove|host enable|host disable|template|template add|template list|template show|template remove|token|token create|token list|token revoke|serve|db|db migrate|db status|db check|db vacuum|db backup|db copy|dev|dev sample-data|dev test-job|dev validate-config|help"
}
complete -F _cjobs cjobs
