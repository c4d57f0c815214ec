import Foundation

/// Where the learner reads a command's output: a terminal, or the exercise panel (which runs the same commands
/// and sets `LAB_FRONT_END=panel`). Only the advice differs: "./lab hint 01" in a terminal is the "Show next hint"
/// button in the panel.
public enum FrontEnd: Sendable {
    case terminal, panel

    public static let variable = "LAB_FRONT_END"

    public static var current: FrontEnd {
        ProcessInfo.processInfo.environment[Self.variable] == "panel" ? .panel : .terminal
    }
}
