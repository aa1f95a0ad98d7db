"""What an analysis writes: report files, the annotated video, review and index pages."""
