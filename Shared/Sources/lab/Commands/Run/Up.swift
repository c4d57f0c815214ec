import ArgumentParser
import Foundation
import LabKit

struct Up: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start everything for a scenario: its services (PostgreSQL...), seed data, build, and the server in watch mode."
    )
    @OptionGroup var scenario: ScenarioArgument
    @OptionGroup var variant: ServerVariantOptions
    @Flag(help: "Run watch mode in the background and return once the server answers (Codespaces post-start).") var detach = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let instances = try scenario.instances(count: self.variant.instances)
        say("Scenario \(scenario.number): \(scenario.manifest.title)\n")
        markStarted(scenario, paths: paths)
        let url = try await prepareScenario(scenario, paths: paths)
        if let line = PanelProcess.ensureRunning(paths: paths, scenario: scenario) { printStep(line) }
        let product = self.variant.product
        if self.detach {
            try await DetachedWatch(paths: paths, scenario: scenario, product: product, instances: instances).start()
            return
        }
        // In a Codespace the post-start step already runs watch mode in the background.
        if DetachedWatch.process(scenario, paths: paths).running() != nil {
            printStep("already running: " + (scenarioState(scenario, paths: paths) ?? "watch mode in the background"))
            say(
                """
                  Its output (rebuilds, compiler errors):  ./lab logs \(scenario.number) --follow
                  To run it in this terminal instead:       ./lab stop \(scenario.number), then ./lab up \(scenario.number)\(self.variant.fixed ? " --fixed" : "")
                """
            )
            return
        }
        try await WatchMode(paths: paths, scenario: scenario, product: product, databaseURL: url, instances: instances).run()
    }
}

struct Watch: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and run the server; rebuild and restart it whenever a file under Sources/ changes."
    )
    @OptionGroup var scenario: ScenarioArgument
    @OptionGroup var variant: ServerVariantOptions

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let instances = try scenario.instances(count: self.variant.instances)
        let url = try await prepareScenario(scenario, paths: paths)
        markStarted(scenario, paths: paths)
        try await WatchMode(paths: paths, scenario: scenario, product: self.variant.product, databaseURL: url, instances: instances).run()
    }
}
