package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RefusedConversation;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.adapter.cli.CompanionCommandLine.StoreMigration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code companion store}: the shared database's own chores, {@code migrate} and {@code import}. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = {"Look after a PostgreSQL database that several Companion servers share (--store).",
                "'migrate' brings its tables up to this release; 'import' copies a data directory's conversations in."},
        footerHeading = "%nExamples:%n",
        footer = {"  export PGPASSWORD=…",
                "  companion store migrate --store postgresql://db.internal:5432/companion?user=companion",
                "  companion store import --from ~/.local/share/companion --store postgresql://db.internal:5432/companion?user=companion"})
final class StoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The command with its subcommands, each given the launcher. */
    static CommandLine tree(Launcher launcher) {
        CommandLine store = new CommandLine(new StoreCommand());
        store.addSubcommand(new Migrate(launcher));
        store.addSubcommand(new Import(launcher));
        return store;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "name what to do: 'companion store migrate' or 'companion store import'");
    }

    /** The part both subcommands share: the launcher, the database, {@code --json} and the streams. */
    abstract static class StoreChore implements Callable<Integer>, Failures.JsonOutput {

        final Launcher launcher;

        @Spec
        CommandSpec spec;

        @Mixin
        Options.Store store = new Options.Store();

        @Mixin
        Options.JsonFlag jsonFlag = new Options.JsonFlag();

        StoreChore(Launcher launcher) {
            this.launcher = launcher;
        }

        @Override
        public boolean json() {
            return jsonFlag.json;
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Bring the database's Companion tables up to this release, and say what was applied.",
                    "Safe to run again, and while servers run: several at once apply each migration once.",
                    "'serve' does this at start unless given --no-migrate."},
            footerHeading = "%nExamples:%n",
            footer = {"  companion store migrate --store postgresql://db.internal:5432/companion?user=companion",
                    "  companion store migrate --store postgresql://127.0.0.1/companion --store-password-file ~/.config/companion/pg-password --json"})
    static final class Migrate extends StoreChore {

        Migrate(Launcher launcher) {
            super(launcher);
        }

        @Override
        public Integer call() {
            StoreMigration migration = launcher.migrate(store.required(spec.commandLine(), true));
            if (json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("state", "ready");
                json.put("applied", migration.applied());
                json.put("schema_version", migration.schemaVersion().orElse(null));
                json.put("diagnostics", List.of());
                out().println(Json.write(json));
            } else {
                String version = migration.schemaVersion().map(v -> "; the Companion tables are at version " + v).orElse("");
                out().println(migration.applied() == 0
                        ? "nothing to apply" + version
                        : "applied " + plural(migration.applied(), "migration") + version);
            }
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Copy every conversation of a data directory into the database: ids, titles, dates and every item.",
                    "Running it again copies nothing twice: a conversation already there is skipped, and one the "
                            + "database has the beginning of gets the rest.",
                    "A conversation whose items differ in the database is left as it is and named on standard error "
                            + "(exit code 1); the others are copied.",
                    "It takes the data directory's lock: stop the server that uses it first.",
                    "It migrates the database first unless given --no-migrate."},
            footerHeading = "%nExamples:%n",
            footer = {"  companion store import --from ~/.local/share/companion --store postgresql://db.internal:5432/companion?user=companion",
                    "  companion store import --from ./data --store postgresql://127.0.0.1/companion?user=me --json"})
    static final class Import extends StoreChore {

        @Option(names = "--from", paramLabel = "DIR", required = true,
                description = "The data directory to copy from (what --data-dir names; the default is ~/.local/share/companion).")
        Path from;

        @Option(names = "--no-migrate", description = "Do not bring the database's tables up to this release first, only check that they are.")
        boolean noMigrate;

        Import(Launcher launcher) {
            super(launcher);
        }

        @Override
        public Integer call() {
            StoreImport done = launcher.importJournal(from, store.required(spec.commandLine(), !noMigrate));
            if (json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("state", done.refused().isEmpty() ? "ready" : "error");
                json.put("conversations_imported", done.imported());
                json.put("conversations_extended", done.extended());
                json.put("conversations_skipped", done.skipped());
                json.put("conversations_refused", done.refused().size());
                json.put("items_copied", done.itemsCopied());
                json.put("items_superseded", done.itemsSuperseded());
                List<Map<String, Object>> refused = new ArrayList<>();
                for (RefusedConversation conversation : done.refused()) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("conversation_id", conversation.id().value());
                    one.put("reason", conversation.reason());
                    refused.add(one);
                }
                json.put("refused", refused);
                json.put("diagnostics", List.of());
                out().println(Json.write(json));
            } else {
                out().println("imported " + plural(done.imported(), "conversation") + ", extended " + done.extended()
                        + ", skipped " + done.skipped() + " already there, refused " + done.refused().size()
                        + "; copied " + plural(done.itemsCopied(), "item")
                        + (done.itemsSuperseded() > 0 ? ", marked " + done.itemsSuperseded() + " superseded" : ""));
            }
            out().flush();
            if (done.refused().isEmpty()) {
                return ExitCodes.OK;
            }
            PrintWriter err = spec.commandLine().getErr();
            for (RefusedConversation conversation : done.refused()) {
                err.println("warning: conversation " + conversation.id() + " was not imported: " + conversation.reason());
            }
            err.println("hint: the database's copy was changed after an earlier import; delete it there "
                    + "('companion conversations delete ID --store …') and import again, or keep the database's");
            err.flush();
            return ExitCodes.ERROR;
        }
    }

    static String plural(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }
}
