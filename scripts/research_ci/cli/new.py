"""``research-ci new``: bake a research project from the template (:mod:`research_ci.scaffold`)."""

from __future__ import annotations

from pathlib import Path

import click

from research_ci.cli.options import path_option
from research_ci.errors import EXIT_OK
from research_ci.scaffold import (
    bake,
    find_template,
    parse_assignments,
    placeholder_warning,
    split_arguments,
    template_defaults,
)


@click.command()
@click.argument("arguments", nargs=-1, metavar="[OUTPUT_DIR] [KEY=VALUE]...")
@click.option("--no-input", is_flag=True, help="Do not prompt: use the defaults and KEY=VALUE.")
@path_option(
    "--template",
    "template_path",
    "Bake another copy of the template. [default: the one next to research-ci]",
    metavar="DIRECTORY",
)
@click.option(
    "--origin",
    "origin_url",
    metavar="URL",
    help="Template repository to record in .cruft.json (e.g. https://github.com/ORG/research-ci)"
    " instead of the local checkout, so that collaborators can run `cruft update`.",
)
def new(
    arguments: tuple[str, ...],
    no_input: bool,
    template_path: Path | None,
    origin_url: str | None,
) -> int:
    """Create a research project from the template, in OUTPUT_DIR/<project_slug>.

    OUTPUT_DIR defaults to the current directory. KEY=VALUE answers a prompt, e.g.
    project_name="Soil Study" python_version=3.12 license=BSD-3-Clause include_notebooks=no.
    With --no-input every other prompt takes its default. The project gets a .cruft.json
    (template repository and commit, so that `cruft check` and `cruft update` follow the
    template) when research-ci runs from a git checkout or was installed from a wheel built
    from one; a --template copy outside git gets none. A warning says when research_ci_action
    is still the ORG/... placeholder.
    """
    template = find_template(template_path)
    output_dir, assignments = split_arguments(arguments)
    answers = parse_assignments(assignments, template_defaults(template))
    baked = bake(template, output_dir, answers, no_input=no_input, origin_url=origin_url)
    click.echo(f"Created {baked.path}")
    if not baked.cruft:
        click.echo(
            f"research-ci: note: no .cruft.json: {template} is not from a git repository, "
            "so cruft cannot follow it",
            err=True,
        )
    warning = placeholder_warning(baked.context)
    if warning:
        click.echo(warning, err=True)
    click.echo(f"Next: cd {baked.path} && research-ci check")
    return EXIT_OK
