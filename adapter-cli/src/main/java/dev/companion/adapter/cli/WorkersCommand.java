package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.model.WorkerSnapshot;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "workers", mixinStandardHelpOptions = true,
        description = "List the runtime's workers, the Companion among them.",
        footerHeading = "%nExamples:%n",
        footer = {"  companion workers",
                "  companion workers --url http://127.0.0.1:8765 --json"})
final class WorkersCommand extends ClientCommand {

    WorkersCommand(Launcher launcher) {
        super(launcher);
    }

    @Override
    public Integer call() {
        List<WorkerSnapshot> workers;
        try (Session session = open()) {
            workers = session.workers().workers();
        }
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("workers", workers.stream().map(Views::worker).toList());
            printJson(json);
            return ExitCodes.OK;
        }
        Palette palette = Palette.detect();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "LABEL", "STATUS", "AUTHORITY", "CAPABILITIES"});
        for (WorkerSnapshot worker : workers) {
            rows.add(new String[] {worker.id(), worker.label(), worker.status().wireName(), worker.authority(),
                    String.join(", ", Views.capabilities(worker))});
        }
        int[] widths = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                String cell = rows.get(r)[i];
                // Colour is added after padding so escape codes do not upset the columns.
                String shown = r > 0 && i == 2 ? palette.state(workers.get(r - 1).status()) : cell;
                line.append(shown);
                if (i < 4) {
                    line.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            out().println(line.toString().stripTrailing());
        }
        if (workers.isEmpty()) {
            out().println("no workers");
        }
        out().flush();
        return ExitCodes.OK;
    }
}
