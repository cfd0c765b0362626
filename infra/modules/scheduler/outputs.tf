output "schedule_name" {
  value = aws_scheduler_schedule.this.name
}
