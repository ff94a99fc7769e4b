namespace Wasme.Cli.Commands.Shell;

/// <summary>
/// Shell completion scripts. Each asks wasme itself through System.CommandLine's <c>[suggest:POSITION]</c>
/// directive, so completions follow the installed version's commands and options and no
/// <c>dotnet-suggest</c> global tool is needed.
/// </summary>
internal static class CompletionScripts
{
    public static IReadOnlyDictionary<string, string> ByShell { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bash"] = """
            # wasme completion for bash. Load it with: source <(wasme completion bash)
            _wasme_complete()
            {
                local IFS=$'\n'
                local candidates
                candidates=$(wasme "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
                COMPREPLY=( $(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _wasme_complete wasme

            """,
        ["zsh"] = """
            #compdef wasme
            # wasme completion for zsh. Load it with: source <(wasme completion zsh)
            _wasme() {
                local line="${BUFFER[1,CURSOR]}"
                local -a candidates
                candidates=("${(@f)$(wasme "[suggest:${#line}]" "${line}" 2>/dev/null)}")
                compadd -- ${candidates:#}
            }
            compdef _wasme wasme

            """,
        ["fish"] = """
            # wasme completion for fish. Load it with: wasme completion fish | source
            function __wasme_complete
                set -l line (commandline -cp)
                wasme "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
            end
            complete -c wasme -f -a '(__wasme_complete)'

            """,
        ["pwsh"] = """
            # wasme completion for PowerShell. Load it with: wasme completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName wasme -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                $line = $commandAst.ToString()
                wasme "[suggest:$cursorPosition]" "$line" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };
}
