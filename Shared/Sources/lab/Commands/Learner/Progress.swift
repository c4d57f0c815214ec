import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct ProgressCommand: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Your progress through the track, and the scenario to do next."
    )

    func execute() async throws {
        let paths = try LabPaths.discover()
        let (progress, warning) = ProgressStore(paths: paths).load()
        if let warning { printStep(warning) }
        say(LearnerTrack.render(progress: progress, builtScenarios: try paths.scenarioFolders().map(Scenario.init(folder:))))
    }
}
