#pragma once

namespace kiln::ui {

// Marking the region of the selected mesh an edit keeps, in the viewport (the Edit tab chooses,
// the viewport marks). Brush: a left drag marks the triangles with a corner or their centre within
// the brush's radius of the point under the cursor; Box: a left drag marks every triangle whose
// centre lies in the rectangle, through the whole asset. Ctrl with either unmarks.
enum class KeepTool { None, Brush, Box };

} // namespace kiln::ui
