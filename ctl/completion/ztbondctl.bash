# SPDX-License-Identifier: GPL-2.0
#
# bash completion for ztbondctl(8). Keys and their values are read from
# "ztbondctl OBJECT CMD --help", so they follow the tool that is installed.
#
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)) splits on purpose

_ztbondctl_bonds()
{
	ip -o link show type ztbond 2>/dev/null |
		sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p'
}

_ztbondctl_devs()
{
	local d

	for d in /sys/class/net/*; do
		[[ -e $d ]] && echo "${d##*/}"
	done
}

# _ztbondctl_help OBJ CMD: the help text of a command (cached per command).
_ztbondctl_help()
{
	"${_ztbondctl_prog:-ztbondctl}" "$1" "$2" --help 2>/dev/null
}

_ztbondctl_keys()
{
	_ztbondctl_help "$1" "$2" |
		sed -n 's/^  \([A-Za-z]\+\)  .*/\1/p'
	[[ $1 == bond && ($2 == add || $2 == set) ]] && echo policy
}

# _ztbondctl_values OBJ CMD KEY: the values a key allows, if a list.
_ztbondctl_values()
{
	local line

	if [[ $3 == policy ]]; then
		_ztbondctl_help "$1" "$2" | sed -n 's/^POLICY := //p' | tr -d ',' |
			tr ' ' '\n'
		return
	fi
	line=$(_ztbondctl_help "$1" "$2" |
	       sed -n "s/^  $3 \+\(.*\)/\1/p" | sed 's/ (alias .*)//')
	case $line in
	*", or inherit") echo inherit ;;
	*..*|"") ;;
	*interface*) _ztbondctl_devs; echo none ;;
	*) echo "$line" | tr -d ',' | tr ' ' '\n' ;;
	esac
}

_ztbondctl()
{
	local cur prev words cword
	local obj="" cmd="" i n=0
	local -a pos=()

	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	_ztbondctl_prog=${words[0]}

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--network) ((i++)); continue ;;	# takes a value
		-*) continue ;;
		esac
		if [[ -z $obj ]]; then
			obj=${words[i]}
		elif [[ -z $cmd && $obj != monitor ]]; then
			cmd=${words[i]}
		else
			pos+=("${words[i]}")
		fi
	done
	n=${#pos[@]}

	if [[ $cur == -* ]]; then
		case $obj/$cmd in
		/) COMPREPLY=($(compgen -W "--json -j --help -h --version -V" -- "$cur")) ;;
		bond/show|peer/list|monitor/) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
		config/check) COMPREPLY=($(compgen -W "--allow-comments --help" -- "$cur")) ;;
		config/apply) COMPREPLY=($(compgen -W "--allow-comments --network --help" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
		esac
		return
	fi

	case $obj in
	"")
		COMPREPLY=($(compgen -W "bond link peer monitor config zt help" -- "$cur"))
		return ;;
	monitor)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_ztbondctl_bonds)" -- "$cur"))
		return ;;
	bond|link|peer|config)
		if [[ -z $cmd ]]; then
			case $obj in
			bond) COMPREPLY=($(compgen -W "add del set show rotate help" -- "$cur")) ;;
			peer) COMPREPLY=($(compgen -W "list help" -- "$cur")) ;;
			link) COMPREPLY=($(compgen -W "add del set help" -- "$cur")) ;;
			config) COMPREPLY=($(compgen -W "check apply dump help" -- "$cur")) ;;
			esac
			return
		fi ;;
	*)
		return ;;
	esac

	case $obj/$cmd in
	bond/add)
		((n == 0)) && return ;;
	bond/del|bond/show|bond/rotate|peer/list|config/dump)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_ztbondctl_bonds)" -- "$cur"))
		return ;;
	bond/set)
		if ((n == 0)); then
			COMPREPLY=($(compgen -W "$(_ztbondctl_bonds)" -- "$cur"))
			return
		fi ;;
	link/*)
		if ((n == 0)); then
			COMPREPLY=($(compgen -W "$(_ztbondctl_bonds)" -- "$cur"))
			return
		fi
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "$(_ztbondctl_devs)" -- "$cur"))
			return
		fi
		[[ $cmd == del ]] && return ;;
	config/check)
		((n == 0)) && COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	config/apply)
		if ((n == 0)); then
			COMPREPLY=($(compgen -W "$(_ztbondctl_bonds)" -- "$cur"))
		elif ((n == 1)); then
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return ;;
	*)
		return ;;
	esac

	# KEY VALUE pairs after NAME (bond) or NAME DEV (link)
	local skip=1
	[[ $obj == link ]] && skip=2
	if ((((n - skip) % 2) == 0)); then
		COMPREPLY=($(compgen -W "$(_ztbondctl_keys "$obj" "$cmd")" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$(_ztbondctl_values "$obj" "$cmd" "$prev")" -- "$cur"))
	fi
}

complete -F _ztbondctl ztbondctl
